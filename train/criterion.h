#pragma once
// The training loss chosen by the config: cross-entropy (label smoothing, class weights,
// soft targets from mixup/cutmix), focal loss, or binary cross-entropy for multi-label
// heads (CheXNet).
#include <vector>

#include "engine/engine.h"
#include "train/config.h"

namespace fovea::train {

class Criterion {
 public:
  // class_counts: samples per class in the training set (for "balanced" weights).
  Criterion(const TrainingSection& config, const std::vector<int64_t>& class_counts);

  // logits [B, C]; labels [B] i64; soft_targets [B, C] (mixup) or undefined. multi-label
  // (bce) expects targets [B, C] in soft_targets.
  Tensor operator()(const Tensor& logits, const Tensor& labels, const Tensor& soft_targets) const;
  const Tensor& class_weights() const { return weights_; }

 private:
  TrainingSection config_;
  Tensor weights_;  // [C] or undefined
};

}  // namespace fovea::train
