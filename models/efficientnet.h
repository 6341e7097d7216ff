#pragma once
// timm's EfficientNet class: a strided 3x3 stem, the stages of an arch definition, a 1x1
// head conv with norm and activation, global pooling and a linear classifier. timm builds
// EfficientNet-B0..B8 with it and also MobileNetV2, which is the same skeleton with other
// strings (models/mobilenet.cpp), so the class is shared.
#include "models/efficientnet_builder.h"
#include "models/model.h"

namespace fovea {

struct EfficientNetArch {
  ArchDef arch_def;
  double channel_multiplier = 1.0;  // widths (stem and stages) through round_channels
  double depth_multiplier = 1.0;    // stage repeats, rounded up
  int64_t stem_size = 32;           // before the channel multiplier
  int64_t num_features = 1280;      // the head conv's width, as the generator computed it
  std::string act = "swish";
  SqueezeExciteStyle se_style{};
};

class EfficientNet : public Model {
 public:
  EfficientNet(const EfficientNetArch& arch, const ModelConfig& config);

  Tensor forward_features(const Tensor& x) override;

  std::shared_ptr<Conv2d> conv_stem;
  std::shared_ptr<BatchNorm2d> bn1;  // with the model's activation
  std::shared_ptr<Sequential> blocks;
  std::shared_ptr<Conv2d> conv_head;
  std::shared_ptr<BatchNorm2d> bn2;  // with the model's activation
  // The head (global_pool, classifier) sits inline at the top level: head().

 private:
  std::vector<std::shared_ptr<Sequential>> stages_;  // blocks' stages, for checkpointing
};

}  // namespace fovea
