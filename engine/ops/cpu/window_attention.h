#pragma once
// The CPU half of the fused window attention (engine/ops/window_attention.cpp), below
// autograd: kernels/cpu/attention.cpp on contiguous operands of one dtype (f32 or f64;
// the op widens 16-bit floats). Outputs are allocated here, in the operands' dtype.
#include "engine/autograd.h"
#include "engine/tensor.h"

namespace fovea::cpu {

// q, k, v [B * nW, heads, N, D]; bias [heads, N, N] or undefined; mask [nW, N, N] additive
// or undefined. Returns {probs [B * nW, heads, N, N], out [B * nW, heads, N, D]}.
TensorList window_attention_forward(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const Tensor& bias, const Tensor& mask, double scale);

// Returns {grad_q, grad_k, grad_v, grad_bias}, each only when wanted; `windows` is nW.
TensorList window_attention_backward(const Tensor& q, const Tensor& k, const Tensor& v,
                                     const Tensor& probs, const Tensor& grad_out, int64_t windows,
                                     double scale, bool want_q, bool want_k, bool want_v,
                                     bool want_bias);

}  // namespace fovea::cpu
