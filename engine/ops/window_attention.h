#pragma once
// Window attention for Swin / SwinV2, as an op so the layers (layers/window_attention.cpp)
// call one function:
//   out = softmax(scale q k^T + bias[head] + mask[window]) v
// over windows of N tokens. For N <= 64 and head dim <= 64 it is one fused node on every
// device (kernels/cpu/attention.cpp, and a kernel per (window, head) in
// kernels/cuda/attention.cu); larger windows go through scaled_dot_product_attention with
// the bias and mask combined.
// SwinV2's cosine attention is this op on l2-normalised q pre-multiplied by its per-head
// logit scale, with scale = 1.
#include <optional>

#include "engine/tensor.h"
#include "kernels/attention.h"

namespace fovea {

// q, k, v: [B * nW, heads, N, D]. bias: [heads, N, N] or undefined (receives a gradient).
// mask: [nW, N, N] additive (0 / -100 for Swin's shifted windows) or undefined; a
// constant. scale defaults to 1 / sqrt(D). When `probabilities` is set it receives the
// attention map [B * nW, heads, N, N], detached.
Tensor window_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                        const Tensor& mask, std::optional<double> scale = std::nullopt,
                        Tensor* probabilities = nullptr);

// The kernels' view of the fused op's q [windows_total, heads, tokens, head_dim], with
// `windows` distinct masks (1 without a mask); shared by both halves.
inline kernels::WindowAttentionShape window_attention_shape(const Tensor& q, int64_t windows,
                                                            double scale) {
  return {.windows_total = q.size(0),
          .windows = windows,
          .heads = q.size(1),
          .tokens = q.size(2),
          .head_dim = q.size(3),
          .scale = scale};
}

}  // namespace fovea
