#pragma once
// Scaled dot-product attention as one differentiable op with a hand-written backward
// (kernels/attention.h), the way torch.nn.functional.scaled_dot_product_attention works:
//
//   out = dropout(softmax(q k^T * scale + bias, masked)) v
#include <optional>

#include "engine/tensor.h"

namespace fovea {

struct AttentionOptions {
  // Added to the scores; broadcastable to [..., L, S] (e.g. Swin's relative position
  // bias [H, L, S]). It receives a gradient when it requires grad.
  Tensor bias{};
  // bool, broadcastable to [..., L, S]; true where a query may attend to a key. A query
  // whose keys are all masked out gets an all-zero row of probabilities, hence a zero
  // output and zero gradients, rather than NaN.
  Tensor mask{};
  // Dropout on the probabilities, drawn from default_generator() (Philox), in [0, 1).
  double dropout_p = 0.0;
  std::optional<double> scale{};  // default 1 / sqrt(D)
  // When set, receives the attention map softmax(q k^T * scale + bias) after masking and
  // before dropout, [..., L, S] in the output's dtype, detached from the graph.
  Tensor* probabilities = nullptr;
};

// q [..., L, D], k [..., S, D], v [..., S, Dv] with equal leading dims -> [..., L, Dv].
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const AttentionOptions& options = {});

}  // namespace fovea
