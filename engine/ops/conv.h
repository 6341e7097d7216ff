#pragma once
// 2-D convolution on NHWC images, the layout of every image in fovea (DESIGN.md).
#include <array>
#include <cstdint>

#include "engine/tensor.h"

namespace fovea {

struct Conv2dOptions {
  std::array<int64_t, 2> stride{1, 1}, padding{0, 0}, dilation{1, 1};
  int64_t groups = 1;
};

// x [N, H, W, Cin], weight [Cout, kh, kw, Cin/groups], bias [Cout] or undefined
// -> [N, Ho, Wo, Cout], Ho = floor((H + 2 padding - dilation (kh - 1) - 1) / stride) + 1,
// as torch.nn.functional.conv2d. groups == Cin is a depthwise conv (Cout a multiple of
// Cin), computed by its own direct kernel. Under autocast it runs in the lower precision.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
              const Conv2dOptions& options = {});

}  // namespace fovea
