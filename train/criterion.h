#pragma once
// The training loss, built once from the config by create_criterion (as timm's
// create_loss_fn): cross-entropy (label smoothing, class weights, soft targets from
// mixup/cutmix), focal loss, or binary cross-entropy for multi-label heads (CheXNet).
#include <memory>
#include <vector>

#include "engine/engine.h"
#include "train/config.h"

namespace fovea::train {

class Criterion {
 public:
  explicit Criterion(Tensor class_weights) : weights_(std::move(class_weights)) {}
  virtual ~Criterion() = default;

  // logits [B, C]; labels [B] i64; soft_targets [B, C] (mixup) or undefined. Multi-label
  // (bce) expects its targets [B, C] in soft_targets.
  virtual Tensor operator()(const Tensor& logits, const Tensor& labels,
                            const Tensor& soft_targets) const = 0;
  const Tensor& class_weights() const { return weights_; }  // [C] or undefined

 protected:
  // The class weights on the logits' device, or undefined.
  Tensor weights_for(const Tensor& logits) const;

 private:
  // Moved to the logits' device on first use, so a step copies nothing host-to-device.
  mutable Tensor weights_;
};

// The loss training.loss names, with training.class_weights resolved against
// `class_counts` (samples per class in the training split, for "balanced").
std::unique_ptr<Criterion> create_criterion(const TrainingSection& config,
                                            const std::vector<int64_t>& class_counts);

}  // namespace fovea::train
