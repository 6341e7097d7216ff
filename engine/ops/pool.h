#pragma once
// 2-D pooling on NHWC images [N, H, W, C], with PyTorch's output sizes and divisors.
#include <array>
#include <cstdint>

#include "engine/tensor.h"
#include "kernels/pool.h"

namespace fovea {

// Max over kernel windows. A stride of {0, 0} (the default) means the kernel size, as
// PyTorch's stride=None. padding is at most half the kernel; ceil_mode rounds the output
// size up but drops a last window that would start in the right padding.
Tensor max_pool2d(const Tensor& x, std::array<int64_t, 2> kernel,
                  std::array<int64_t, 2> stride = {}, std::array<int64_t, 2> padding = {0, 0},
                  bool ceil_mode = false);

// Mean over kernel windows. The divisor counts padded positions (up to H + padding) when
// count_include_pad, else only the real inputs of the window, as torch's avg_pool2d.
Tensor avg_pool2d(const Tensor& x, std::array<int64_t, 2> kernel,
                  std::array<int64_t, 2> stride = {}, std::array<int64_t, 2> padding = {0, 0},
                  bool ceil_mode = false, bool count_include_pad = true);

// Mean over the windows [floor(i H / out), ceil((i + 1) H / out)) of each dim.
Tensor adaptive_avg_pool2d(const Tensor& x, std::array<int64_t, 2> output_size);

// The NHWC shape of a pooling op's input, or with `output`, of its result.
inline Shape pool_tensor_shape(const kernels::PoolShape& s, bool output) {
  return output ? Shape{s.batch, s.out_h, s.out_w, s.channels}
                : Shape{s.batch, s.in_h, s.in_w, s.channels};
}

}  // namespace fovea
