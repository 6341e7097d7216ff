#pragma once
// Conv2d over NHWC images; weight [out, kh, kw, in/groups] (DESIGN.md), which is timm's
// OIHW weight permuted, under the same state_dict name.
#include <array>

#include "engine/ops/conv.h"
#include "layers/module.h"

namespace fovea {

// A height and a width, written as one number when they are equal, as PyTorch's int-or-
// tuple arguments: `.kernel = 3` or `.kernel = {1, 7}`.
struct Size2 {
  constexpr Size2(int64_t both) : h(both), w(both) {}  // NOLINT: implicit, as PyTorch's int
  constexpr Size2(int64_t height, int64_t width) : h(height), w(width) {}
  std::array<int64_t, 2> array() const { return {h, w}; }
  int64_t h, w;
};

// nn.Conv2d's arguments, with its defaults; every model writes out its padding:
//   Conv2d(in_chans, 64, {.kernel = 7, .stride = 2, .padding = 3, .bias = false})
struct Conv2dConfig {
  Size2 kernel = 1;
  Size2 stride = 1;
  Size2 padding = 0;
  Size2 dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};

// timm's get_padding: the symmetric padding that keeps the output at ceil(input / stride)
// for odd kernels ("same-ish"), ((stride - 1) + dilation * (kernel - 1)) / 2.
int64_t symmetric_padding(int64_t kernel, int64_t stride = 1, int64_t dilation = 1);

class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, const Conv2dConfig& config);
  Tensor forward(const Tensor& x) override;  // x [N, H, W, in] -> [N, Ho, Wo, out]
  const Conv2dOptions& options() const { return options_; }
  int64_t out_channels() const { return weight.size(0); }

  Tensor weight;  // [out, kh, kw, in/groups]
  Tensor bias;    // [out], undefined without bias

 private:
  Conv2dOptions options_;
};

}  // namespace fovea
