#pragma once
// Scaled dot-product attention, forward and backward, on contiguous [batch, len, dim]
// operands (the op flattens every leading dim into `batch`):
//
//   S = scale * Q K^T + bias          [batch, L, S_len]
//   P = softmax(S) over the last dim, with masked-out entries excluded
//   O = dropout(P) V                  [batch, L, Dv]
//
// A row whose every entry is masked out has no distribution to normalise; fovea gives it
// P = 0 (so O = 0 and no gradient flows through it) rather than the NaN that
// softmax(-inf, ..., -inf) would give, the choice recent PyTorch kernels also make.
//
// Dropout keeps each probability with chance 1 - p and scales the kept ones by 1/(1-p).
// Its mask is never stored: entry (b, i, j) is decided by Philox draw (b*L + i)*S_len + j
// of the stream (seed, offset), so the backward regenerates exactly the forward's mask.
#include <cstdint>

namespace fovea::kernels {

struct AttentionShape {
  int64_t batch = 0;
  int64_t q_len = 0;      // L
  int64_t kv_len = 0;     // S_len
  int64_t head_dim = 0;   // D, shared by Q and K
  int64_t value_dim = 0;  // Dv
  double scale = 1.0;
};

// An optional operand broadcast over the scores [batch, L, S_len] by strides: element
// (b, i, j) is data[batch_offsets[b] + i * row_stride + j * col_stride]. A null `data`
// means the operand is absent.
template <typename T>
struct ScoreOperand {
  const T* data = nullptr;
  const int64_t* batch_offsets = nullptr;  // `batch` entries
  int64_t row_stride = 0, col_stride = 0;
};

struct AttentionDropout {
  double p = 0.0;                 // 0 disables dropout
  uint64_t seed = 0, offset = 0;  // the Philox stream reserved for this call
};

}  // namespace fovea::kernels

namespace fovea::kernels::cpu {

// probs = P (after the mask, before dropout) [batch, L, S_len]; out = O [batch, L, Dv].
// mask: true where a query may attend to a key. T: float, double.
template <typename T>
void attention_forward(const AttentionShape& shape, const T* q, const T* k, const T* v,
                       ScoreOperand<T> bias, ScoreOperand<bool> mask, AttentionDropout dropout,
                       T* probs, T* out);

// From dO [batch, L, Dv] and the forward's P: grad_scores = dS [batch, L, S_len] (the
// gradient of the additive bias before it is summed to the bias's shape), and dQ, dK,
// dV for the pointers that are not null. T: float, double.
template <typename T>
void attention_backward(const AttentionShape& shape, const T* q, const T* k, const T* v,
                        const T* probs, AttentionDropout dropout, const T* grad_out, T* grad_scores,
                        T* grad_q, T* grad_k, T* grad_v);

}  // namespace fovea::kernels::cpu
