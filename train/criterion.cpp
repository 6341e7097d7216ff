#include "train/criterion.h"

namespace fovea::train {

namespace {

class CrossEntropy final : public Criterion {
 public:
  CrossEntropy(Tensor weights, double label_smoothing)
      : Criterion(std::move(weights)), label_smoothing_(label_smoothing) {}

  Tensor operator()(const Tensor& logits, const Tensor& labels,
                    const Tensor& soft_targets) const override {
    const Tensor weight = weights_for(logits);
    // Mixup's soft targets already carry the label smoothing (data/mixup.h).
    if (soft_targets.defined()) return cross_entropy(logits, soft_targets, {.weight = weight});
    return cross_entropy(logits, labels, {.weight = weight, .label_smoothing = label_smoothing_});
  }

 private:
  double label_smoothing_;
};

class Focal final : public Criterion {
 public:
  Focal(Tensor weights, double gamma, double alpha)
      : Criterion(std::move(weights)), gamma_(gamma), alpha_(alpha) {}

  Tensor operator()(const Tensor& logits, const Tensor& labels, const Tensor&) const override {
    FocalLossOptions options{.gamma = gamma_};
    // Per-class weights, when there are any, are the per-class alpha.
    if (class_weights().defined()) {
      options.alpha = weights_for(logits);
    } else if (alpha_ > 0) {
      options.alpha = scalar_tensor(alpha_, DType::f32, logits.device());
    }
    return focal_loss(logits, labels, options);
  }

 private:
  double gamma_, alpha_;
};

class BinaryCrossEntropy final : public Criterion {
 public:
  using Criterion::Criterion;

  Tensor operator()(const Tensor& logits, const Tensor&,
                    const Tensor& soft_targets) const override {
    FOVEA_CHECK(soft_targets.defined(), "bce loss needs multi-label targets [B, C]");
    // For multi-label heads, class weights weigh the positives of each label (pos_weight).
    return binary_cross_entropy_with_logits(logits, soft_targets, Tensor(), weights_for(logits));
  }
};

// training.class_weights as a [C] f32 tensor, or undefined for none.
Tensor class_weights_of(const TrainingSection& config, const std::vector<int64_t>& class_counts) {
  const auto classes = static_cast<int64_t>(class_counts.size());
  switch (config.class_weights) {
    case ClassWeighting::none:
      return Tensor();
    case ClassWeighting::balanced: {
      // scikit-learn's "balanced": n_samples / (n_classes * count_c).
      int64_t total = 0;
      for (int64_t c : class_counts) total += c;
      std::vector<float> w;
      for (int64_t c : class_counts) {
        w.push_back(c > 0 ? static_cast<float>(total) / static_cast<float>(classes * c) : 0.0f);
      }
      return from_vector(w, {classes});
    }
    case ClassWeighting::given:
      FOVEA_CHECK(static_cast<int64_t>(config.class_weight_values.size()) == classes,
                  "config: training.class_weight_values has {} values for {} classes",
                  config.class_weight_values.size(), classes);
      return from_vector(config.class_weight_values, {classes}).to(DType::f32);
  }
  fail("config: unknown training.class_weights");
}

}  // namespace

Tensor Criterion::weights_for(const Tensor& logits) const {
  if (weights_.defined() && weights_.device() != logits.device()) {
    weights_ = weights_.to(logits.device());
  }
  return weights_;
}

std::unique_ptr<Criterion> create_criterion(const TrainingSection& config,
                                            const std::vector<int64_t>& class_counts) {
  Tensor weights = class_weights_of(config, class_counts);
  switch (config.loss) {
    case LossKind::cross_entropy:
      return std::make_unique<CrossEntropy>(std::move(weights), config.label_smoothing);
    case LossKind::focal:
      return std::make_unique<Focal>(std::move(weights), config.focal_gamma, config.focal_alpha);
    case LossKind::bce:
      return std::make_unique<BinaryCrossEntropy>(std::move(weights));
  }
  fail("config: unknown training.loss");
}

}  // namespace fovea::train
