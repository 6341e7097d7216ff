#pragma once
// Swin's window partition and reverse with the cyclic shift folded in: each is one gather
// (kernels/window_partition.h; a CUDA kernel in kernels/cuda/window_partition.cu) instead
// of a roll, a pad and a permuted copy. Each op's backward is the other op.
#include <array>

#include "engine/tensor.h"

namespace fovea {

using Window = std::array<int64_t, 2>;  // (height, width) in tokens

// x [B, H, W, C] -> windows [B * nW, Wh * Ww, C]: x rolled by -shift along H and W
// (torch.roll(x, (-shift_h, -shift_w), (1, 2))), padded with zeros at the bottom and right
// up to whole windows, and cut into windows: the windows of each image in row-major
// order, the tokens of each window in row-major order. A shifted-window Swin block rolls
// by -shift before attention, so that its windows straddle the previous block's borders.
Tensor window_partition(const Tensor& x, Window window, Window shift = {0, 0});

// The inverse of window_partition for a height x width grid: windows [B * nW, Wh * Ww, C]
// -> [B, height, width, C], merged into the padded grid, cropped to height x width and
// rolled by +shift.
Tensor window_reverse(const Tensor& windows, Window window, int64_t height, int64_t width,
                      Window shift = {0, 0});

}  // namespace fovea
