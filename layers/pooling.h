#pragma once
// Pooling modules over NHWC images.
#include <array>

#include "layers/module.h"

namespace fovea {

class MaxPool2d : public Module {
 public:
  MaxPool2d(int64_t kernel, int64_t stride, int64_t padding = 0, bool ceil_mode = false);
  Tensor forward(const Tensor& x) override;
  int64_t kernel, stride, padding;
  bool ceil_mode;
};

class AvgPool2d : public Module {
 public:
  AvgPool2d(int64_t kernel, int64_t stride, int64_t padding = 0, bool ceil_mode = false,
            bool count_include_pad = true);
  Tensor forward(const Tensor& x) override;
  int64_t kernel, stride, padding;
  bool ceil_mode, count_include_pad;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(std::array<int64_t, 2> output_size);
  Tensor forward(const Tensor& x) override;
  std::array<int64_t, 2> output_size;
};

// timm's SelectAdaptivePool2d('avg', flatten=True): [N, H, W, C] -> [N, C].
class GlobalAvgPool : public Module {
 public:
  GlobalAvgPool() : Module("SelectAdaptivePool2d") {}
  Tensor forward(const Tensor& x) override;
};

}  // namespace fovea
