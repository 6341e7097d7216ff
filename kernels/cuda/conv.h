#pragma once
// 2-D convolution on CUDA, NHWC (kernels/conv.h's Conv2dShape and layouts). Dense
// convolutions go through cuDNN (engine/ops/cuda/conv.cpp); these are fovea's own kernels:
// the depthwise convolution (kernels/cuda/depthwise_conv.cu, docs/kernels/depthwise_conv2d.md)
// and the per-channel bias add that follows a cuDNN convolution. T: float, __half,
// __nv_bfloat16, computed and accumulated in f32.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "kernels/conv.h"

namespace fovea::kernels::cuda {

// The shapes the hand-written depthwise kernels take: groups == Cin == Cout, a square
// 3x3, 5x5 or 7x7 kernel, equal strides of 1 or 2, no dilation, any padding. Other
// depthwise shapes go to cuDNN's grouped convolution.
bool depthwise_conv2d_supported(const Conv2dShape& shape);

// y = depthwise_conv(x, w) + bias (bias may be null). x [N, H, W, C], w [C, k, k, 1].
template <typename T>
void depthwise_conv2d_forward(const Conv2dShape& shape, const T* x, const T* w, const T* bias,
                              T* y, cudaStream_t stream);

// grad_x from grad_y and w (overwritten).
template <typename T>
void depthwise_conv2d_backward_data(const Conv2dShape& shape, const T* grad_y, const T* w,
                                    T* grad_x, cudaStream_t stream);

// Bytes of f32 scratch depthwise_conv2d_backward_weight needs for its per-block partial
// sums.
size_t depthwise_conv2d_backward_weight_workspace(const Conv2dShape& shape);

// grad_w from grad_y and x (overwritten): per-block partial sums into `partials`, then a
// second pass that adds them in a fixed order (deterministic).
template <typename T>
void depthwise_conv2d_backward_weight(const Conv2dShape& shape, const T* grad_y, const T* x,
                                      float* partials, T* grad_w, cudaStream_t stream);

// y [rows, channels] += bias [channels], in place.
template <typename T>
void add_channel_bias(int64_t rows, int64_t channels, const T* bias, T* y, cudaStream_t stream);

}  // namespace fovea::kernels::cuda
