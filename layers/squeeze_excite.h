#pragma once
// Squeeze-and-Excitation (Hu et al., 2018): pool each channel over the image, pass the
// channel vector through a small bottleneck, and rescale the channels by the gate.
//
//   s = gate(expand(act(reduce(mean_hw(x)))));  y = x * s
//
// timm and torchvision name the two 1x1 convolutions differently (EfficientNet and
// MobileNetV3 in timm: conv_reduce/conv_expand; timm's SEModule used by SE-ResNeXt and
// RegNet, and torchvision: fc1/fc2), so the names are part of the configuration.
#include <string>

#include "layers/activation.h"
#include "layers/conv.h"

namespace fovea {

struct SqueezeExciteConfig {
  int64_t reduced_channels = 0;  // the bottleneck width, already rounded by the caller
  std::string act = "relu";
  std::string gate = "sigmoid";
  std::string reduce_name = "fc1";
  std::string expand_name = "fc2";
};

class SqueezeExcite : public Module {
 public:
  SqueezeExcite(int64_t channels, const SqueezeExciteConfig& config);
  Tensor forward(const Tensor& x) override;  // x [N, H, W, C]

  std::shared_ptr<Conv2d> reduce, expand;

 private:
  ActivationKind act_, gate_;
};

}  // namespace fovea
