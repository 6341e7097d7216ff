#pragma once
// CUDA attention (the math is kernels/attention.h's).
//
// scaled_dot_product_attention: the four matrix products per direction are cuBLAS
// strided-batched GEMMs (f32 accumulation; the scores and their gradient are kept in f32)
// and everything between them (scale already applied by the GEMM, bias, mask, softmax,
// dropout, and the softmax backward) is one fused row kernel. `handle` must be bound to
// `stream`; ScoreOperand layouts are by value (offsets in closed form, nothing uploaded).
//
// window attention (Swin / SwinV2): one fused kernel per (window, head) for the whole
// small problem, S = scale Q K^T + bias[head] + mask[window % windows], P = softmax(S),
// O = P V, with N <= 64 tokens and head dim <= 64, and its fused backward.
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/attention.h"

namespace fovea::kernels::cuda {

// scores: f32 workspace [batch, L, S]; probs: P [batch, L, S] (saved for the backward);
// dropped: dropout(P) [batch, L, S] workspace, needed only when dropout.p > 0.
template <typename T>
void attention_forward(const AttentionShape& shape, const T* q, const T* k, const T* v,
                       ScoreOperand<T> bias, ScoreOperand<bool> mask, AttentionDropout dropout,
                       float* scores, T* probs, T* dropped, T* out, cublasHandle_t handle,
                       cudaStream_t stream);

// grad_p: f32 workspace [batch, L, S]; dropped: workspace as in the forward (p > 0 only).
// Writes grad_scores = dS [batch, L, S] and the input gradients whose pointers are set.
template <typename T>
void attention_backward(const AttentionShape& shape, const T* q, const T* k, const T* v,
                        const T* probs, AttentionDropout dropout, const T* grad_out, float* grad_p,
                        T* dropped, T* grad_scores, T* grad_q, T* grad_k, T* grad_v,
                        cublasHandle_t handle, cudaStream_t stream);

// ---- window attention ----

// The shape and its limits are kernels/attention.h's (plain C++, shared with the CPU).
using kernels::kMaxWindowHeadDim;
using kernels::kMaxWindowTokens;
using kernels::WindowAttentionShape;

// q, k, v, out: [windows_total, heads, N, D] contiguous; bias [heads, N, N] (or null);
// mask [windows, N, N] additive (or null); probs [windows_total, heads, N, N].
template <typename T>
void window_attention_forward(const WindowAttentionShape& shape, const T* q, const T* k, const T* v,
                              const T* bias, const T* mask, T* probs, T* out, cudaStream_t stream);

// f32 scratch window_attention_backward needs for the bias gradient.
int64_t window_attention_backward_workspace(const WindowAttentionShape& shape);

// grad_bias [heads, N, N] (null when not wanted) is the sum of dS over every window.
template <typename T>
void window_attention_backward(const WindowAttentionShape& shape, const T* q, const T* k,
                               const T* v, const T* probs, const T* grad_out, T* grad_q, T* grad_k,
                               T* grad_v, T* grad_bias, float* workspace, cudaStream_t stream);

}  // namespace fovea::kernels::cuda
