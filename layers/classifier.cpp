#include "layers/classifier.h"

namespace fovea {

namespace {
constexpr double kNoNorm = 0.0;
}

ClassifierHead::ClassifierHead(int64_t in_features, int64_t num_classes,
                               const ClassifierHeadConfig& config)
    : ClassifierHead("ClassifierHead", in_features, num_classes, config, kNoNorm) {}

ClassifierHead::ClassifierHead(std::string type_name, int64_t in_features, int64_t num_classes,
                               const ClassifierHeadConfig& config, double norm_eps)
    : Module(std::move(type_name)), in_features_(in_features), config_(config) {
  if (config.pool == HeadPool::avg) {
    global_pool = register_module("global_pool", std::make_shared<GlobalAvgPool>());
  }
  if (norm_eps != kNoNorm) {
    norm = register_module("norm", std::make_shared<LayerNorm>(in_features, norm_eps));
  }
  drop = register_module("drop", std::make_shared<Dropout>(config.drop_rate));
  reset(num_classes);
}

Tensor ClassifierHead::forward(const Tensor& features, bool pre_logits) {
  return classify(pool(features), pre_logits);
}

Tensor ClassifierHead::pool(const Tensor& features) {
  Tensor pooled = features;
  switch (config_.pool) {
    case HeadPool::avg:
      pooled = (*global_pool)(features);  // [B, H, W, C] -> [B, C]
      break;
    case HeadPool::token:
      FOVEA_CHECK(features.dim() == 3, "{}: token pooling needs tokens [B, N, C], got {}",
                  type_name(), shape_str(features.shape()));
      pooled = features.select(1, 0);  // [B, N, C] -> [B, C]
      break;
    case HeadPool::none:
      break;
  }
  return norm ? (*norm)(pooled) : pooled;
}

Tensor ClassifierHead::classify(const Tensor& pooled, bool pre_logits) {
  FOVEA_CHECK(pooled.dim() == 2 && pooled.size(1) == in_features_,
              "{}: built for [B, {}] features, got {}", type_name(), in_features_,
              shape_str(pooled.shape()));
  const Tensor x = (*drop)(pooled);
  return pre_logits || !fc ? x : (*fc)(x);
}

void ClassifierHead::reset(int64_t num_classes) {
  FOVEA_CHECK(num_classes >= 0, "{}: num_classes must be >= 0, got {}", type_name(), num_classes);
  fc = num_classes > 0 ? std::make_shared<Linear>(in_features_, num_classes) : nullptr;
  replace_module(config_.fc_name, fc);
}

NormClassifierHead::NormClassifierHead(int64_t in_features, int64_t num_classes, double drop_rate,
                                       double norm_eps)
    : ClassifierHead("NormMlpClassifierHead", in_features, num_classes,
                     {.pool = HeadPool::avg, .drop_rate = drop_rate}, norm_eps) {}

}  // namespace fovea
