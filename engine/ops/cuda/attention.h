#pragma once
// The CUDA half of scaled_dot_product_attention (engine/ops/attention.cpp), below
// autograd, with the CPU half's signatures: cuBLAS GEMMs and fused row kernels
// (kernels/cuda/attention.cu) on contiguous operands of one dtype (f32, f16 or bf16).
// Outputs are allocated here, in the operands' dtype; nothing is copied from the host.
#include "engine/autograd.h"
#include "engine/tensor.h"
#include "kernels/attention.h"

namespace fovea::cuda {

// Returns {probs [score_shape] (after the mask, before dropout), out [out_shape]}. bias and
// mask (bool) may be undefined; their layouts say how they broadcast over the scores.
TensorList attention_forward(const kernels::AttentionShape& shape, const Tensor& q, const Tensor& k,
                             const Tensor& v, const Tensor& bias,
                             const kernels::ScoreLayout& bias_layout, const Tensor& mask,
                             const kernels::ScoreLayout& mask_layout,
                             const kernels::AttentionDropout& dropout, const Shape& score_shape,
                             const Shape& out_shape);

// Returns {grad_scores, grad_q, grad_k, grad_v}; the input gradients only when wanted.
TensorList attention_backward(const kernels::AttentionShape& shape, const Tensor& q,
                              const Tensor& k, const Tensor& v, const Tensor& probs,
                              const kernels::AttentionDropout& dropout, const Tensor& grad_out,
                              const Shape& score_shape, bool want_q, bool want_k, bool want_v);

}  // namespace fovea::cuda
