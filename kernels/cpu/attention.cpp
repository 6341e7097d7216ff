// CPU reference for scaled dot-product attention (kernels/attention.h). The four matrix
// products per direction go through gemm_batched; what lies between them (bias, mask,
// softmax, dropout and the softmax backward) is a loop over score rows.
#include "kernels/attention.h"

#include <cmath>
#include <limits>
#include <vector>

#include "kernels/cpu/parallel.h"
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

// Turns one row of scores into probabilities in place: adds the bias, drops masked
// entries, and applies a softmax that subtracts the row maximum so exp() cannot overflow.
template <typename T>
void softmax_row(T* row, int64_t len, const T* bias, int64_t bias_stride, const bool* mask,
                 int64_t mask_stride) {
  constexpr T kMinusInf = -std::numeric_limits<T>::infinity();
  T row_max = kMinusInf;
  for (int64_t j = 0; j < len; ++j) {
    T score = row[j];
    if (bias) score += bias[j * bias_stride];
    if (mask && !mask[j * mask_stride]) score = kMinusInf;
    row[j] = score;
    if (score > row_max) row_max = score;
  }
  if (row_max == kMinusInf) {  // nothing to attend to: an all-zero row, not NaN
    for (int64_t j = 0; j < len; ++j) row[j] = T(0);
    return;
  }
  double total = 0.0;
  for (int64_t j = 0; j < len; ++j) {
    row[j] = std::exp(row[j] - row_max);
    total += row[j];
  }
  const T inverse = static_cast<T>(1.0 / total);
  for (int64_t j = 0; j < len; ++j) row[j] *= inverse;
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
      const T* bias_row =
          bias.data ? bias.data + bias.batch_offsets[b] + i * bias.row_stride : nullptr;
      const bool* mask_row =
          mask.data ? mask.data + mask.batch_offsets[b] + i * mask.row_stride : nullptr;
      softmax_row(probs + r * S, S, bias_row, bias.col_stride, mask_row, mask.col_stride);
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
    for (int64_t r = begin; r < end; ++r) {
      const T* p = probs + r * S;
      T* g = grad_scores + r * S;
      double dot = 0.0;
      for (int64_t j = 0; j < S; ++j) dot += static_cast<double>(g[j]) * p[j];
      const T row_dot = static_cast<T>(dot);
      for (int64_t j = 0; j < S; ++j) g[j] = p[j] * (g[j] - row_dot);
    }
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

}  // namespace fovea::kernels::cpu
