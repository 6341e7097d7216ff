#pragma once
// 2-D pooling in NHWC: x [N, H, W, C] -> y [N, Ho, Wo, C], all contiguous.
//
// Every pooling op is described by its windows along each dim: output row i pools input
// rows [begin[i], end[i]), and average pooling divides by divisor_h[i] * divisor_w[j]
// (PyTorch's divisors factor that way in every mode). The window builders below hold
// PyTorch's exact rules, so the kernels need not know which op they serve.
#include <cstdint>
#include <vector>

namespace fovea::kernels {

struct PoolWindows {
  std::vector<int64_t> begin, end, divisor;
  int64_t size() const { return static_cast<int64_t>(begin.size()); }
};

// PyTorch's pooling output size: floor or ceil of (in + 2 pad - kernel) / stride, plus
// one; in ceil mode a last window that would start inside the right padding is dropped.
int64_t pool_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, bool ceil_mode);

// The windows of a strided pool with `out` outputs. The divisor counts the padding
// (clipped to in + pad, as PyTorch does) when count_include_pad, else only real inputs.
PoolWindows pool_windows(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t pad,
                         bool count_include_pad);

// Adaptive pooling: begin = floor(i * in / out), end = ceil((i + 1) * in / out).
PoolWindows adaptive_pool_windows(int64_t in, int64_t out);

// One axis of a pool in closed form: enough to compute its windows anywhere. The CPU
// kernels take the expanded PoolWindows (pool_windows below); the CUDA kernels compute
// each window on the device from these few numbers, so no table is uploaded per call.
struct PoolAxis {
  int64_t in = 0, out = 0, kernel = 1, stride = 1, pad = 0;
  bool adaptive = false;  // adaptive windows (kernel, stride and pad unused)
  bool count_include_pad = true;
};

// The windows of `axis`: pool_windows or adaptive_pool_windows.
PoolWindows pool_windows(const PoolAxis& axis);

struct PoolShape {
  int64_t batch = 0, in_h = 0, in_w = 0, channels = 0, out_h = 0, out_w = 0;
};

namespace cpu {

// y = the maximum of each window, indices = where it was, as ih * W + iw (PyTorch's
// convention). NaN wins, as in PyTorch. Every window must be non-empty. T: float, double.
template <typename T>
void max_pool2d_forward(const PoolShape& shape, const PoolWindows& rows, const PoolWindows& cols,
                        const T* x, T* y, int64_t* indices);

// grad_x = grad_y sent back to the recorded maxima (overwritten).
template <typename T>
void max_pool2d_backward(const PoolShape& shape, const T* grad_y, const int64_t* indices,
                         T* grad_x);

// y = the window sums divided by rows.divisor[i] * cols.divisor[j].
template <typename T>
void avg_pool2d_forward(const PoolShape& shape, const PoolWindows& rows, const PoolWindows& cols,
                        const T* x, T* y);

// grad_x = each grad_y element divided by its divisor and spread over its window
// (overwritten).
template <typename T>
void avg_pool2d_backward(const PoolShape& shape, const PoolWindows& rows, const PoolWindows& cols,
                         const T* grad_y, T* grad_x);

}  // namespace cpu
}  // namespace fovea::kernels
