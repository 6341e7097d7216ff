// CPU reference for layer norm (kernels/norm.h). x is [rows, cols]: the statistics are
// row sums and the weight/bias gradients are column sums, both accumulated in double by
// sum_terms, which also splits very long rows across threads.
#include <cmath>
#include <vector>

#include "kernels/cpu/accumulate.h"
#include "kernels/cpu/parallel.h"
#include "kernels/norm.h"

namespace fovea::kernels::cpu {

namespace {

// Per-row sum over columns of term(r, j), in double.
template <typename Term>
std::vector<double> row_sums(int64_t rows, int64_t cols, Term term) {
  return sum_terms<double>(rows, cols, 1,
                           [&](int64_t r, int64_t j, int64_t) { return term(r, j); });
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
  std::vector<double> mu =
      row_sums(rows, cols, [&](int64_t r, int64_t j) { return double(x[r * cols + j]); });
  for (double& m : mu) m /= count;
  const std::vector<double> squares = row_sums(rows, cols, [&](int64_t r, int64_t j) {
    const double d = double(x[r * cols + j]) - mu[r];
    return d * d;
  });
  for (int64_t r = 0; r < rows; ++r) {
    mean[r] = static_cast<T>(mu[r]);
    rstd[r] = static_cast<T>(1.0 / std::sqrt(squares[r] / count + eps));
  }
  parallel_for(rows, cols, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* xr = x + r * cols;
      T* yr = y + r * cols;
      for (int64_t j = 0; j < cols; ++j) {
        const T xhat = (xr[j] - mean[r]) * rstd[r];
        yr[j] = xhat * (weight ? weight[j] : T(1)) + (bias ? bias[j] : T(0));
      }
    }
  });
}

template <typename T>
void layer_norm_backward(const T* grad_y, const T* x, const T* mean, const T* rstd, const T* weight,
                         T* grad_x, T* grad_weight, T* grad_bias, int64_t rows, int64_t cols) {
  auto w = [&](int64_t j) { return weight ? double(weight[j]) : 1.0; };
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

  // Per row: the means of dxhat = dy * weight and of dxhat * xhat.
  const double count = static_cast<double>(cols);
  const std::vector<double> sum_dxhat = row_sums(
      rows, cols, [&](int64_t r, int64_t j) { return double(grad_y[r * cols + j]) * w(j); });
  const std::vector<double> sum_dxhat_xhat = row_sums(rows, cols, [&](int64_t r, int64_t j) {
    const int64_t k = r * cols + j;
    return double(grad_y[k]) * w(j) * (double(x[k]) - double(mean[r]));
  });
  parallel_for(rows, cols, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T mean_dxhat = static_cast<T>(sum_dxhat[r] / count);
      const T mean_dxhat_xhat = static_cast<T>(sum_dxhat_xhat[r] * double(rstd[r]) / count);
      const T* dy = grad_y + r * cols;
      const T* xr = x + r * cols;
      T* dx = grad_x + r * cols;
      for (int64_t j = 0; j < cols; ++j) {
        const T xhat = (xr[j] - mean[r]) * rstd[r];
        const T dxhat = dy[j] * (weight ? weight[j] : T(1));
        dx[j] = rstd[r] * (dxhat - mean_dxhat - xhat * mean_dxhat_xhat);
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
