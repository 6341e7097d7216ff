#pragma once
// The CUDA half of channel_mean / channel_scale (engine/ops/squeeze_excite.cpp), below
// autograd, with the CPU half's signatures: one fused kernel each
// (kernels/cuda/squeeze_excite.cu). Tensors are channels-last [N, ..., C] and of one dtype
// (f32, f16 or bf16).
#include "engine/tensor.h"

namespace fovea::cuda {

// [N, 1, ..., 1, C]: scale * sum over the middle dims of a (times b when defined).
Tensor spatial_sum(const Tensor& a, const Tensor& b, double scale);

// x's shape (or `shape` when x is undefined): scale * s[n, c] (times x when defined); s
// holds N * C values.
Tensor channel_broadcast(const Tensor& x, const Tensor& s, double scale, const Shape& shape);

}  // namespace fovea::cuda
