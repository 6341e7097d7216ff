#pragma once
// Kernels of Swin's window partition with the cyclic shift folded in, and its reverse:
//   partition: windows[b, r, c, i, j, :] = x[b, (h + shift_h) mod H, (w + shift_w) mod W, :]
//              with (h, w) = (r Wh + i, c Ww + j) when h < H and w < W, else 0;
//   reverse:   x[b, h, w, :] = windows[b, r, c, i, j, :] at the same pairs.
// That is torch.roll(x, -shift, (1, 2)), zero padding at the bottom and right up to whole
// windows, and the cut into windows, in one gather; the reverse merges the windows, crops
// the padding and rolls by +shift. Each is the other's adjoint. Both tensors are
// contiguous; windows is [B * rows * cols, Wh * Ww, C] with the windows of an image in
// row-major order and the tokens of a window in row-major order. Pure data movement: the
// kernels copy `elem_size`-byte elements of any dtype.
#include <cstdint>

namespace fovea::kernels {

struct WindowPartitionShape {
  int64_t batch = 1, height = 1, width = 1, channels = 1;  // the grid x [B, H, W, C]
  int64_t window_h = 1, window_w = 1;
  int64_t shift_h = 0, shift_w = 0;  // in [0, height) and [0, width)
  int64_t rows = 1, cols = 1;        // windows down and across: ceil(H / Wh), ceil(W / Ww)
};

}  // namespace fovea::kernels

namespace fovea::kernels::cpu {

void window_partition(const void* x, void* windows, const WindowPartitionShape& shape,
                      int64_t elem_size);
void window_reverse(const void* windows, void* x, const WindowPartitionShape& shape,
                    int64_t elem_size);

}  // namespace fovea::kernels::cpu
