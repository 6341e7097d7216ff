#pragma once
// The kernels' view of a classification loss's targets (kernels::ClassTargets), built from
// the op's tensors the same way for both halves (engine/ops/{cpu,cuda}/loss.cpp).
#include "engine/ops/dispatch.h"
#include "kernels/loss.h"

namespace fovea {

// scores: [rows, classes]; index: [rows] i64 or undefined; probs: [rows, classes] or
// undefined; weight: [classes] or undefined. T is the storage type dispatched on.
template <typename T>
kernels::ClassTargets<T> class_targets(const Tensor& scores, const Tensor& index,
                                       const Tensor& probs, const Tensor& weight,
                                       int64_t ignore_index) {
  return {.rows = scores.size(0),
          .classes = scores.size(1),
          .target_index = data_or_null<const int64_t>(index),
          .target_probs = data_or_null<const T>(probs),
          .weight = data_or_null<const T>(weight),
          .ignore_index = ignore_index};
}

}  // namespace fovea
