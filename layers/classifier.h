#pragma once
// The classifier heads of timm/layers/classifier.py, for NHWC features: pool the feature
// map (or pick the class token), dropout, then one Linear layer. Every model ends in one
// of these; Model (models/model.h) owns it and resets it for fine-tuning.
//
//   ClassifierHead:      [B, H, W, C] -> pool -> [B, C] -> dropout -> fc -> [B, classes]
//   NormClassifierHead:  [B, H, W, C] -> pool -> LayerNorm -> dropout -> fc (ConvNeXt's
//                        NormMlpClassifierHead without its hidden layer)
#include <string>

#include "layers/linear.h"
#include "layers/norm.h"
#include "layers/pooling.h"
#include "layers/regularization.h"

namespace fovea {

enum class HeadPool {
  avg,    // the mean over H and W of [B, H, W, C] (timm's global_pool='avg')
  token,  // the first token of [B, N, C], ViT's class token (global_pool='token')
  none,   // the features are [B, C] already
};

struct ClassifierHeadConfig {
  HeadPool pool = HeadPool::avg;
  double drop_rate = 0.0;  // dropout before the classifier
  // The Linear layer's state_dict name: timm's ClassifierHead says "fc"; ResNet "fc",
  // EfficientNet and DenseNet "classifier", ViT "head".
  std::string fc_name = "fc";
};

class ClassifierHead : public Module {
 public:
  ClassifierHead(int64_t in_features, int64_t num_classes, const ClassifierHeadConfig& config);

  Tensor forward(const Tensor& x) override { return forward(x, false); }
  // features -> logits [B, classes]; with pre_logits (or no classifier) the pooled,
  // dropped-out features [B, C] instead.
  Tensor forward(const Tensor& features, bool pre_logits);

  // The two halves of forward, for a model that puts layers between them (MobileNetV3's
  // 1x1 head conv after the pooling).
  Tensor pool(const Tensor& features);                             // -> [B, C] (normalised)
  Tensor classify(const Tensor& pooled, bool pre_logits = false);  // dropout, then fc

  // A fresh classifier for `num_classes`; 0 removes it (pooled features out).
  void reset(int64_t num_classes);
  int64_t in_features() const { return in_features_; }
  const std::string& fc_name() const { return config_.fc_name; }

  std::shared_ptr<GlobalAvgPool> global_pool;  // null unless the pool is avg
  std::shared_ptr<LayerNorm> norm;             // NormClassifierHead's; null here
  std::shared_ptr<Dropout> drop;
  std::shared_ptr<Linear> fc;  // null with 0 classes

 protected:
  ClassifierHead(std::string type_name, int64_t in_features, int64_t num_classes,
                 const ClassifierHeadConfig& config, double norm_eps);

 private:
  int64_t in_features_;
  ClassifierHeadConfig config_;
};

// Average pooling, LayerNorm over the channels, dropout, fc: "head.norm" and "head.fc".
class NormClassifierHead : public ClassifierHead {
 public:
  NormClassifierHead(int64_t in_features, int64_t num_classes, double drop_rate,
                     double norm_eps = 1e-5);
};

}  // namespace fovea
