#pragma once
// The CUDA halves of scaled_dot_product_attention and window_attention
// (engine/ops/attention.cpp, engine/ops/window_attention.cpp), below autograd. Operands
// are contiguous and of one dtype (f32, f16 or bf16); outputs are allocated here.
#ifdef FOVEA_HAS_CUDA
#include <vector>

#include "engine/autograd.h"
#include "engine/tensor.h"
#include "kernels/attention.h"

namespace fovea {

// A bias or mask broadcast over the scores: the (possibly strided) tensor and where each
// flattened batch element's [L, S] map starts (host offsets; copied to the device here).
struct ScoreOperandTensor {
  Tensor data;
  std::vector<int64_t> batch_offsets;
  int64_t row_stride = 0, col_stride = 0;
};

struct AttentionForwardCuda {
  Tensor probs, out;
};

AttentionForwardCuda attention_forward_cuda(const kernels::AttentionShape& shape,
                                            const Tensor& q, const Tensor& k, const Tensor& v,
                                            const ScoreOperandTensor& bias,
                                            const ScoreOperandTensor& mask,
                                            const kernels::AttentionDropout& dropout,
                                            const Shape& score_shape, const Shape& out_shape);

// Returns {grad_scores, grad_q, grad_k, grad_v}; the input gradients only when wanted.
TensorList attention_backward_cuda(const kernels::AttentionShape& shape, const Tensor& q,
                                   const Tensor& k, const Tensor& v, const Tensor& probs,
                                   const kernels::AttentionDropout& dropout,
                                   const Tensor& grad_out, const Shape& score_shape, bool want_q,
                                   bool want_k, bool want_v);

// q, k, v [B * nW, heads, N, D]; bias [heads, N, N] or undefined; mask [nW, N, N] or
// undefined. Returns {probs [B * nW, heads, N, N], out [B * nW, heads, N, D]}.
TensorList window_attention_forward_cuda(const Tensor& q, const Tensor& k, const Tensor& v,
                                         const Tensor& bias, const Tensor& mask, double scale);

// Returns {grad_q, grad_k, grad_v, grad_bias}, each only when wanted.
TensorList window_attention_backward_cuda(const Tensor& q, const Tensor& k, const Tensor& v,
                                          const Tensor& probs, const Tensor& grad_out,
                                          int64_t windows, double scale, bool want_q, bool want_k,
                                          bool want_v, bool want_bias);

}  // namespace fovea
#endif
