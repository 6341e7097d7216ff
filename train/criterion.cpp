#include "train/criterion.h"

namespace fovea::train {

Criterion::Criterion(const TrainingSection& config, const std::vector<int64_t>& class_counts)
    : config_(config) {
  const auto classes = static_cast<int64_t>(class_counts.size());
  if (config.class_weights == ClassWeighting::balanced) {
    // scikit-learn's "balanced": n_samples / (n_classes * count_c).
    int64_t total = 0;
    for (int64_t c : class_counts) total += c;
    std::vector<float> w;
    for (int64_t c : class_counts) {
      w.push_back(c > 0 ? static_cast<float>(total) / static_cast<float>(classes * c) : 0.0f);
    }
    weights_ = from_vector(w, {classes});
  } else if (config.class_weights == ClassWeighting::given) {
    FOVEA_CHECK(static_cast<int64_t>(config.class_weight_values.size()) == classes,
                "config: training.class_weight_values has {} values for {} classes",
                config.class_weight_values.size(), classes);
    weights_ = from_vector(config.class_weight_values, {classes}).to(DType::f32);
  }
}

Tensor Criterion::operator()(const Tensor& logits, const Tensor& labels,
                             const Tensor& soft_targets) const {
  const Tensor weight = weights_.defined() ? weights_.to(logits.device()) : Tensor();
  if (config_.loss == LossKind::bce) {
    FOVEA_CHECK(soft_targets.defined(), "bce loss needs multi-label targets [B, C]");
    // For multi-label heads, class weights weigh the positives of each label (pos_weight).
    return binary_cross_entropy_with_logits(logits, soft_targets, Tensor(), weight);
  }
  if (config_.loss == LossKind::focal) {
    FocalLossOptions options{.gamma = config_.focal_gamma};
    if (config_.focal_alpha > 0)
      options.alpha = scalar_tensor(config_.focal_alpha, DType::f32, logits.device());
    if (weight.defined()) options.alpha = weight;
    return focal_loss(logits, labels, options);
  }
  // Mixup's soft targets already carry the label smoothing (data/mixup.h).
  if (soft_targets.defined()) return cross_entropy(logits, soft_targets, {.weight = weight});
  return cross_entropy(logits, labels,
                       {.weight = weight, .label_smoothing = config_.label_smoothing});
}

}  // namespace fovea::train
