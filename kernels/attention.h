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
// softmax(-inf, ..., -inf) would give, the choice recent PyTorch kernels also make. A row
// holding a NaN score gives NaN probabilities (the row maximum lets NaN through, as
// softmax does), never a silent zero. With no keys at all (S_len = 0) O is zero, and so
// are dQ and the other gradients.
//
// Dropout keeps each probability with chance 1 - p and scales the kept ones by 1/(1-p).
// Its mask is never stored: entry (b, i, j) is decided by Philox draw (b*L + i)*S_len + j
// of the stream (seed, offset), so the backward regenerates exactly the forward's mask.
#include <cstdint>

// Host and device: the offset arithmetic below runs in both backends' kernels (the same
// definition as kernels/philox.h's, which a translation unit may also include).
#if defined(__CUDACC__)
#define FOVEA_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define FOVEA_HOST_DEVICE inline
#endif

namespace fovea::kernels {

struct AttentionShape {
  int64_t batch = 0;
  int64_t q_len = 0;      // L
  int64_t kv_len = 0;     // S_len
  int64_t head_dim = 0;   // D, shared by Q and K
  int64_t value_dim = 0;  // Dv
  double scale = 1.0;
};

// How an operand broadcasts over the scores [lead..., L, S_len] by strides: flattened
// batch element b (row-major over the lead dims) starts at batch_offset(b), and element
// (b, i, j) is at batch_offset(b) + i * row_stride + j * col_stride. The offsets are
// computed in closed form where they are used, so no table goes to the device.
struct ScoreLayout {
  static constexpr int kMaxLeadDims = 8;
  int lead_dims = 0;
  int64_t lead_size[kMaxLeadDims] = {};
  int64_t lead_stride[kMaxLeadDims] = {};
  int64_t row_stride = 0, col_stride = 0;

  FOVEA_HOST_DEVICE int64_t batch_offset(int64_t b) const {
    int64_t offset = 0;
    for (int d = lead_dims - 1; d >= 0; --d) {
      offset += (b % lead_size[d]) * lead_stride[d];
      b /= lead_size[d];
    }
    return offset;
  }
};

// An optional operand broadcast over the scores; a null `data` means it is absent.
template <typename T>
struct ScoreOperand {
  const T* data = nullptr;
  ScoreLayout layout{};
};

struct AttentionDropout {
  double p = 0.0;                 // 0 disables dropout
  uint64_t seed = 0, offset = 0;  // the Philox stream reserved for this call
};

// ---- window attention (Swin / SwinV2) ----
//
// One small attention per (window, head): S = scale Q K^T + bias[head] + mask[window % nW]
// (both additive), P = softmax(S), O = P V, on q, k, v [windows_total, heads, N, D]. The
// op takes this fused path on every device when N <= kMaxWindowTokens and
// D <= kMaxWindowHeadDim (the CUDA kernel's shared-memory tile), so the CPU reference
// runs the graph the GPU runs; larger windows go through scaled_dot_product_attention.
struct WindowAttentionShape {
  int64_t windows_total = 0;  // B * nW: the leading dim of q, k, v
  int64_t windows = 1;        // nW: the mask's leading dim (window of batch b: b % nW)
  int64_t heads = 0;
  int64_t tokens = 0;    // N (49 for 7x7, 64 for 8x8); at most kMaxWindowTokens
  int64_t head_dim = 0;  // D; at most kMaxWindowHeadDim
  double scale = 1.0;
};

inline constexpr int64_t kMaxWindowTokens = 64;
inline constexpr int64_t kMaxWindowHeadDim = 64;

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

// q, k, v, out: [windows_total, heads, N, D] contiguous; bias [heads, N, N] (or null);
// mask [windows, N, N] additive (or null); probs [windows_total, heads, N, N]. T: float,
// double.
template <typename T>
void window_attention_forward(const WindowAttentionShape& shape, const T* q, const T* k, const T* v,
                              const T* bias, const T* mask, T* probs, T* out);

// The input gradients whose pointers are set; grad_bias [heads, N, N] is the sum of dS
// over every window, in window order.
template <typename T>
void window_attention_backward(const WindowAttentionShape& shape, const T* q, const T* k,
                               const T* v, const T* probs, const T* grad_out, T* grad_q, T* grad_k,
                               T* grad_v, T* grad_bias);

}  // namespace fovea::kernels::cpu
