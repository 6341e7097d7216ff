#pragma once
// Reductions over any set of dims: sum, mean, var, max/argmax. An empty dim list means
// every dim. Under autocast they compute in f32.
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace fovea {

using Dims = std::vector<int64_t>;

Tensor sum(const Tensor& x, const Dims& dims, bool keepdim = false);
Tensor sum(const Tensor& x);  // all elements, as a 0-dim tensor
Tensor mean(const Tensor& x, const Dims& dims, bool keepdim = false);
Tensor mean(const Tensor& x);
// `correction` = 1 gives the unbiased estimate (PyTorch's default), 0 the biased one.
Tensor var(const Tensor& x, const Dims& dims, int64_t correction = 1, bool keepdim = false);

struct ValuesIndices {
  Tensor values;
  Tensor indices;  // i64
};
// The maximum along `dim` and the first index that attains it.
ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor max(const Tensor& x);  // over all elements
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);

// Sums `x` down to `shape`, undoing a broadcast: the gradient of an expand.
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace fovea
