// CPU reference for layer norm (kernels/norm.h). x is [rows, cols] and rows are
// independent: one task normalises a whole row while it sits in cache (statistics in
// double, two passes), so results do not depend on the thread count. The weight and bias
// gradients are column sums over rows, which sum_terms accumulates in double.
#include <cmath>
#include <vector>

#include "kernels/cpu/accumulate.h"
#include "kernels/cpu/parallel.h"
#include "kernels/norm.h"

namespace fovea::kernels::cpu {

namespace {

// Sum over j < n of term(j), in double, with four independent accumulators to break the
// add latency chain.
template <typename Term>
double row_sum(int64_t n, Term term) {
  double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    a0 += term(j);
    a1 += term(j + 1);
    a2 += term(j + 2);
    a3 += term(j + 3);
  }
  for (; j < n; ++j) a0 += term(j);
  return (a0 + a1) + (a2 + a3);
}

// Per-column sum over rows of term(r, j), in double.
template <typename Term>
std::vector<double> column_sums(int64_t rows, int64_t cols, Term term) {
  return sum_terms<double>(1, rows, cols,
                           [&](int64_t, int64_t r, int64_t j) { return term(r, j); });
}

}  // namespace

template <typename T>
void layer_norm_forward(const T* x, const T* weight, const T* bias, double eps, T* y, T* mean,
                        T* rstd, int64_t rows, int64_t cols) {
  const double count = static_cast<double>(cols);
  parallel_for(rows, 4 * cols, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* xr = x + r * cols;
      const double mu = row_sum(cols, [&](int64_t j) { return double(xr[j]); }) / count;
      // Two passes (mean, then squared deviations) avoid the cancellation of
      // E[x^2] - E[x]^2.
      const double var = row_sum(cols,
                                 [&](int64_t j) {
                                   const double d = double(xr[j]) - mu;
                                   return d * d;
                                 }) /
                         count;
      mean[r] = static_cast<T>(mu);
      rstd[r] = static_cast<T>(1.0 / std::sqrt(var + eps));
      const T m = mean[r], s = rstd[r];
      T* yr = y + r * cols;
      for (int64_t j = 0; j < cols; ++j) {
        yr[j] = (xr[j] - m) * s * (weight ? weight[j] : T(1)) + (bias ? bias[j] : T(0));
      }
    }
  });
}

template <typename T>
void layer_norm_backward(const T* grad_y, const T* x, const T* mean, const T* rstd, const T* weight,
                         T* grad_x, T* grad_weight, T* grad_bias, int64_t rows, int64_t cols) {
  if (grad_bias) {
    const std::vector<double> total =
        column_sums(rows, cols, [&](int64_t r, int64_t j) { return double(grad_y[r * cols + j]); });
    for (int64_t j = 0; j < cols; ++j) grad_bias[j] = static_cast<T>(total[j]);
  }
  if (grad_weight) {
    const std::vector<double> total = column_sums(rows, cols, [&](int64_t r, int64_t j) {
      const int64_t k = r * cols + j;
      return double(grad_y[k]) * (double(x[k]) - double(mean[r])) * double(rstd[r]);
    });
    for (int64_t j = 0; j < cols; ++j) grad_weight[j] = static_cast<T>(total[j]);
  }
  if (!grad_x) return;

  const double count = static_cast<double>(cols);
  parallel_for(rows, 4 * cols, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* dy = grad_y + r * cols;
      const T* xr = x + r * cols;
      T* dx = grad_x + r * cols;
      const T m = mean[r], s = rstd[r];
      auto dxhat = [&](int64_t j) { return dy[j] * (weight ? weight[j] : T(1)); };
      // The row means of dxhat = dy * weight and of dxhat * xhat.
      const T mean_dxhat =
          static_cast<T>(row_sum(cols, [&](int64_t j) { return double(dxhat(j)); }) / count);
      const T mean_dxhat_xhat = static_cast<T>(
          row_sum(cols, [&](int64_t j) { return double(dxhat(j)) * (double(xr[j]) - double(m)); }) *
          double(s) / count);
      for (int64_t j = 0; j < cols; ++j) {
        const T xhat = (xr[j] - m) * s;
        dx[j] = s * (dxhat(j) - mean_dxhat - xhat * mean_dxhat_xhat);
      }
    }
  });
}

template void layer_norm_forward<float>(const float*, const float*, const float*, double, float*,
                                        float*, float*, int64_t, int64_t);
template void layer_norm_forward<double>(const double*, const double*, const double*, double,
                                         double*, double*, double*, int64_t, int64_t);
template void layer_norm_backward<float>(const float*, const float*, const float*, const float*,
                                         const float*, float*, float*, float*, int64_t, int64_t);
template void layer_norm_backward<double>(const double*, const double*, const double*,
                                          const double*, const double*, double*, double*, double*,
                                          int64_t, int64_t);

}  // namespace fovea::kernels::cpu
