// CPU reference for scaled dot-product attention (kernels/attention.h). The four matrix
// products per direction go through gemm_batched; what lies between them (bias, mask,
// softmax, dropout and the softmax backward) is a loop over score rows.
#include "kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/vector_math.h"
#include "kernels/gemm.h"
#include "kernels/philox.h"

namespace fovea::kernels::cpu {

namespace {

// out = dropout(in) over the flat score rows [begin, end) of length `row_len`; in and out
// may be the same buffer. Element e keeps when Philox draw e of the stream is >= p.
template <typename T>
void dropout_rows(const AttentionDropout& dropout, int64_t row_len, int64_t begin, int64_t end,
                  const T* in, T* out) {
  const T keep_scale = static_cast<T>(1.0 / (1.0 - dropout.p));
  uint64_t cached_block = std::numeric_limits<uint64_t>::max();
  Philox4 bits{};
  for (int64_t e = begin * row_len; e < end * row_len; ++e) {
    const uint64_t index = static_cast<uint64_t>(e);
    if (index / 4 != cached_block) {  // one Philox block serves four neighbours
      cached_block = index / 4;
      bits = philox_block(dropout.offset + cached_block, dropout.seed);
    }
    const bool keep = uniform_from_bits(bits.v[index % 4]) >= dropout.p;
    out[e] = keep ? in[e] * keep_scale : T(0);
  }
}

// Turns one row of scores into probabilities in place: adds the bias and the additive
// mask (`extra`, contiguous), drops masked entries, and applies a softmax that subtracts
// the row maximum so exp() cannot overflow. The maximum lets NaN through, so a row holding
// NaN gives NaN (as softmax does) instead of passing for an all-masked row.
template <typename T>
void softmax_row(T* row, int64_t len, const T* bias, int64_t bias_stride, const T* extra,
                 const bool* mask, int64_t mask_stride) {
  constexpr T kMinusInf = -std::numeric_limits<T>::infinity();
  T row_max = kMinusInf;
  for (int64_t j = 0; j < len; ++j) {
    T score = row[j];
    if (bias) score += bias[j * bias_stride];
    if (extra) score += extra[j];
    if (mask && !mask[j * mask_stride]) score = kMinusInf;
    row[j] = score;
    if (score > row_max || std::isnan(score)) row_max = score;
    if (std::isnan(row_max)) break;
  }
  if (std::isnan(row_max)) {
    for (int64_t j = 0; j < len; ++j) row[j] = std::numeric_limits<T>::quiet_NaN();
    return;
  }
  if (row_max == kMinusInf) {  // nothing to attend to: an all-zero row, not NaN
    for (int64_t j = 0; j < len; ++j) row[j] = T(0);
    return;
  }
  for (int64_t j = 0; j < len; ++j) row[j] = exp_of(row[j] - row_max);  // vectorises
  double total = 0.0;
  for (int64_t j = 0; j < len; ++j) total += row[j];
  const T inverse = static_cast<T>(1.0 / total);
  for (int64_t j = 0; j < len; ++j) row[j] *= inverse;
}

// The softmax backward of one row in place: g = p * (g - rowsum(g * p)).
template <typename T>
void softmax_backward_row(const T* p, T* g, int64_t len) {
  double dot = 0.0;
  for (int64_t j = 0; j < len; ++j) dot += static_cast<double>(g[j]) * p[j];
  const T row_dot = static_cast<T>(dot);
  for (int64_t j = 0; j < len; ++j) g[j] = p[j] * (g[j] - row_dot);
}

}  // namespace

template <typename T>
void attention_forward(const AttentionShape& s, const T* q, const T* k, const T* v,
                       ScoreOperand<T> bias, ScoreOperand<bool> mask, AttentionDropout dropout,
                       T* probs, T* out) {
  const int64_t L = s.q_len, S = s.kv_len, D = s.head_dim, Dv = s.value_dim;
  // probs <- scale * Q K^T
  const GemmShape scores{
      .trans_a = false, .trans_b = true, .m = L, .n = S, .k = D, .lda = D, .ldb = D, .ldc = S};
  gemm_batched<T>(scores, s.batch, static_cast<T>(s.scale), q, L * D, k, S * D, T(0), probs, L * S);

  parallel_for(s.batch * L, S * 8, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t b = r / L, i = r % L;
      const T* bias_row = bias.data
                              ? bias.data + bias.layout.batch_offset(b) + i * bias.layout.row_stride
                              : nullptr;
      const bool* mask_row =
          mask.data ? mask.data + mask.layout.batch_offset(b) + i * mask.layout.row_stride
                    : nullptr;
      softmax_row(probs + r * S, S, bias_row, bias.layout.col_stride,
                  static_cast<const T*>(nullptr), mask_row, mask.layout.col_stride);
    }
  });

  const T* weights = probs;
  std::vector<T> dropped;
  if (dropout.p > 0) {
    dropped.resize(static_cast<size_t>(s.batch * L * S));
    parallel_for(s.batch * L, S * 4, [&](int64_t begin, int64_t end) {
      dropout_rows(dropout, S, begin, end, probs, dropped.data());
    });
    weights = dropped.data();
  }
  // out <- dropout(P) V
  const GemmShape values{
      .trans_a = false, .trans_b = false, .m = L, .n = Dv, .k = S, .lda = S, .ldb = Dv, .ldc = Dv};
  gemm_batched<T>(values, s.batch, T(1), weights, L * S, v, S * Dv, T(0), out, L * Dv);
}

template <typename T>
void attention_backward(const AttentionShape& s, const T* q, const T* k, const T* v, const T* probs,
                        AttentionDropout dropout, const T* grad_out, T* grad_scores, T* grad_q,
                        T* grad_k, T* grad_v) {
  const int64_t L = s.q_len, S = s.kv_len, D = s.head_dim, Dv = s.value_dim;
  const int64_t rows = s.batch * L;
  if (grad_v) {
    // dV = dropout(P)^T dO, with the forward's mask regenerated from its Philox stream.
    const T* weights = probs;
    std::vector<T> dropped;
    if (dropout.p > 0) {
      dropped.resize(static_cast<size_t>(rows * S));
      parallel_for(rows, S * 4, [&](int64_t begin, int64_t end) {
        dropout_rows(dropout, S, begin, end, probs, dropped.data());
      });
      weights = dropped.data();
    }
    const GemmShape dv{
        .trans_a = true, .trans_b = false, .m = S, .n = Dv, .k = L, .lda = S, .ldb = Dv, .ldc = Dv};
    gemm_batched<T>(dv, s.batch, T(1), weights, L * S, grad_out, L * Dv, T(0), grad_v, S * Dv);
  }
  // grad_scores <- dO V^T, the gradient of dropout(P)
  const GemmShape dp{
      .trans_a = false, .trans_b = true, .m = L, .n = S, .k = Dv, .lda = Dv, .ldb = Dv, .ldc = S};
  gemm_batched<T>(dp, s.batch, T(1), grad_out, L * Dv, v, S * Dv, T(0), grad_scores, L * S);
  // Through dropout (same mask), then the softmax: dS = P * (dP - rowsum(dP * P)).
  parallel_for(rows, S * 8, [&](int64_t begin, int64_t end) {
    if (dropout.p > 0) dropout_rows(dropout, S, begin, end, grad_scores, grad_scores);
    for (int64_t r = begin; r < end; ++r)
      softmax_backward_row(probs + r * S, grad_scores + r * S, S);
  });
  const T scale = static_cast<T>(s.scale);
  if (grad_q) {  // dQ = scale * dS K
    const GemmShape dq{
        .trans_a = false, .trans_b = false, .m = L, .n = D, .k = S, .lda = S, .ldb = D, .ldc = D};
    gemm_batched<T>(dq, s.batch, scale, grad_scores, L * S, k, S * D, T(0), grad_q, L * D);
  }
  if (grad_k) {  // dK = scale * dS^T Q
    const GemmShape dk{
        .trans_a = true, .trans_b = false, .m = S, .n = D, .k = L, .lda = S, .ldb = D, .ldc = D};
    gemm_batched<T>(dk, s.batch, scale, grad_scores, L * S, q, L * D, T(0), grad_k, S * D);
  }
}

template <typename T>
void window_attention_forward(const WindowAttentionShape& s, const T* q, const T* k, const T* v,
                              const T* bias, const T* mask, T* probs, T* out) {
  const int64_t N = s.tokens, D = s.head_dim, problems = s.windows_total * s.heads;
  if (problems == 0 || N == 0) return;
  // probs <- scale * Q K^T, one [N, N] block per (window, head)
  const GemmShape scores{
      .trans_a = false, .trans_b = true, .m = N, .n = N, .k = D, .lda = D, .ldb = D, .ldc = N};
  gemm_batched<T>(scores, problems, static_cast<T>(s.scale), q, N * D, k, N * D, T(0), probs,
                  N * N);
  parallel_for(problems * N, N * 8, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t problem = r / N, i = r % N;
      const int64_t head = problem % s.heads, window = (problem / s.heads) % s.windows;
      softmax_row(probs + r * N, N, bias ? bias + (head * N + i) * N : nullptr, int64_t{1},
                  mask ? mask + (window * N + i) * N : nullptr, static_cast<const bool*>(nullptr),
                  int64_t{0});
    }
  });
  // out <- P V
  const GemmShape values{
      .trans_a = false, .trans_b = false, .m = N, .n = D, .k = N, .lda = N, .ldb = D, .ldc = D};
  gemm_batched<T>(values, problems, T(1), probs, N * N, v, N * D, T(0), out, N * D);
}

template <typename T>
void window_attention_backward(const WindowAttentionShape& s, const T* q, const T* k, const T* v,
                               const T* probs, const T* grad_out, T* grad_q, T* grad_k, T* grad_v,
                               T* grad_bias) {
  const int64_t N = s.tokens, D = s.head_dim, problems = s.windows_total * s.heads;
  if (grad_bias) std::fill(grad_bias, grad_bias + s.heads * N * N, T(0));
  if (problems == 0 || N == 0) return;
  if (grad_v) {  // dV = P^T dO
    const GemmShape dv{
        .trans_a = true, .trans_b = false, .m = N, .n = D, .k = N, .lda = N, .ldb = D, .ldc = D};
    gemm_batched<T>(dv, problems, T(1), probs, N * N, grad_out, N * D, T(0), grad_v, N * D);
  }
  // dS <- dO V^T, then through the softmax
  std::vector<T> grad_scores(static_cast<size_t>(problems * N * N));
  const GemmShape dp{
      .trans_a = false, .trans_b = true, .m = N, .n = N, .k = D, .lda = D, .ldb = D, .ldc = N};
  gemm_batched<T>(dp, problems, T(1), grad_out, N * D, v, N * D, T(0), grad_scores.data(), N * N);
  parallel_for(problems * N, N * 4, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      softmax_backward_row(probs + r * N, grad_scores.data() + r * N, N);
    }
  });
  const T scale = static_cast<T>(s.scale);
  if (grad_q) {  // dQ = scale dS K
    const GemmShape dq{
        .trans_a = false, .trans_b = false, .m = N, .n = D, .k = N, .lda = N, .ldb = D, .ldc = D};
    gemm_batched<T>(dq, problems, scale, grad_scores.data(), N * N, k, N * D, T(0), grad_q, N * D);
  }
  if (grad_k) {  // dK = scale dS^T Q
    const GemmShape dk{
        .trans_a = true, .trans_b = false, .m = N, .n = D, .k = N, .lda = N, .ldb = D, .ldc = D};
    gemm_batched<T>(dk, problems, scale, grad_scores.data(), N * N, q, N * D, T(0), grad_k, N * D);
  }
  if (grad_bias) {  // dbias[h] = sum over windows of dS, in window order (deterministic)
    parallel_for(s.heads * N, s.windows_total * N, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t head = r / N, i = r % N;
        T* dst = grad_bias + r * N;
        for (int64_t w = 0; w < s.windows_total; ++w) {
          const T* src = grad_scores.data() + ((w * s.heads + head) * N + i) * N;
          for (int64_t j = 0; j < N; ++j) dst[j] += src[j];
        }
      }
    });
  }
}

template void attention_forward<float>(const AttentionShape&, const float*, const float*,
                                       const float*, ScoreOperand<float>, ScoreOperand<bool>,
                                       AttentionDropout, float*, float*);
template void attention_forward<double>(const AttentionShape&, const double*, const double*,
                                        const double*, ScoreOperand<double>, ScoreOperand<bool>,
                                        AttentionDropout, double*, double*);
template void attention_backward<float>(const AttentionShape&, const float*, const float*,
                                        const float*, const float*, AttentionDropout, const float*,
                                        float*, float*, float*, float*);
template void attention_backward<double>(const AttentionShape&, const double*, const double*,
                                         const double*, const double*, AttentionDropout,
                                         const double*, double*, double*, double*, double*);

template void window_attention_forward<float>(const WindowAttentionShape&, const float*,
                                              const float*, const float*, const float*,
                                              const float*, float*, float*);
template void window_attention_forward<double>(const WindowAttentionShape&, const double*,
                                               const double*, const double*, const double*,
                                               const double*, double*, double*);
template void window_attention_backward<float>(const WindowAttentionShape&, const float*,
                                               const float*, const float*, const float*,
                                               const float*, float*, float*, float*, float*);
template void window_attention_backward<double>(const WindowAttentionShape&, const double*,
                                                const double*, const double*, const double*,
                                                const double*, double*, double*, double*, double*);

}  // namespace fovea::kernels::cpu
