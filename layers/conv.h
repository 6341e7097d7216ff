#pragma once
// Conv2d over NHWC images; weight [out, kh, kw, in/groups] (DESIGN.md), which is timm's
// OIHW weight permuted, under the same state_dict name.
#include <array>

#include "engine/ops/conv.h"
#include "layers/module.h"

namespace fovea {

struct Conv2dConfig {
  std::array<int64_t, 2> kernel{1, 1};
  std::array<int64_t, 2> stride{1, 1};
  // -1 = timm's symmetric "same-ish" padding: ((stride - 1) + dilation * (kernel - 1)) / 2.
  std::array<int64_t, 2> padding{-1, -1};
  std::array<int64_t, 2> dilation{1, 1};
  int64_t groups = 1;
  bool bias = true;
};

class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, const Conv2dConfig& config);
  // Square kernel shorthand: Conv2d(in, out, k, stride, groups, bias).
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride = 1,
         int64_t groups = 1, bool bias = true);
  Tensor forward(const Tensor& x) override;  // x [N, H, W, in] -> [N, Ho, Wo, out]
  const Conv2dOptions& options() const { return options_; }
  int64_t out_channels() const { return weight.size(0); }

  Tensor weight;  // [out, kh, kw, in/groups]
  Tensor bias;    // [out], undefined without bias

 private:
  Conv2dOptions options_;
};

}  // namespace fovea
