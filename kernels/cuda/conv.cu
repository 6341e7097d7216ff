// The per-channel bias add after a cuDNN convolution, and the rule for which depthwise
// shapes the hand-written kernels (depthwise_conv.cu) take.
//
// add_channel_bias: y [rows, C] += bias [C], NHWC so the channel is the fastest dim. One
// read and one write of y: at ResNet-50's first stage (B=64, 56x56x256, bf16) 2 * 103 MB
// -> 69 us at 3.0 TB/s. A grid-stride loop over elements, the bias read through L1.
#include "kernels/cuda/conv.h"

#include "kernels/cuda/check.h"
#include "kernels/cuda/device_helpers.cuh"

namespace fovea::kernels::cuda {

using detail::from_float;
using detail::grid_stride_blocks;
using detail::to_float;

namespace {

template <typename T>
__global__ void add_channel_bias_kernel(int64_t total, int64_t channels, const T* __restrict__ bias,
                                        T* __restrict__ y) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += step) {
    y[i] = from_float<T>(to_float(y[i]) + to_float(bias[i % channels]));
  }
}

}  // namespace

bool depthwise_conv2d_supported(const Conv2dShape& s) {
  const int64_t k = s.kernel_h;
  return s.depthwise() && s.out_channels == s.in_channels && s.kernel_w == k &&
         (k == 3 || k == 5 || k == 7) && s.stride_w == s.stride_h &&
         (s.stride_h == 1 || s.stride_h == 2) && s.dilation_h == 1 && s.dilation_w == 1 &&
         s.pad_h <= k - 1 && s.pad_w <= k - 1 && s.in_channels <= INT32_MAX / 64 &&
         s.batch * s.in_h <= INT32_MAX && s.batch * s.out_h <= INT32_MAX;
}

template <typename T>
void add_channel_bias(int64_t rows, int64_t channels, const T* bias, T* y, cudaStream_t stream) {
  const int64_t total = rows * channels;
  if (total == 0) return;
  constexpr int threads = 256;
  add_channel_bias_kernel<T>
      <<<grid_stride_blocks(total, threads), threads, 0, stream>>>(total, channels, bias, y);
  check_launch("add_channel_bias_kernel");
}

template void add_channel_bias<float>(int64_t, int64_t, const float*, float*, cudaStream_t);
template void add_channel_bias<__half>(int64_t, int64_t, const __half*, __half*, cudaStream_t);
template void add_channel_bias<__nv_bfloat16>(int64_t, int64_t, const __nv_bfloat16*,
                                              __nv_bfloat16*, cudaStream_t);

}  // namespace fovea::kernels::cuda
