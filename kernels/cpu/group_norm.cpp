// CPU reference for group norm (kernels/norm.h). x is [batch, spatial, channels]. Every
// sum is first taken per (sample, channel) over the spatial positions by sum_terms (in
// double, over blocks fixed by the shape), then folded over each group's channels in
// channel order, so results do not depend on the number of threads.
#include <cmath>
#include <vector>

#include "kernels/cpu/accumulate.h"
#include "kernels/cpu/parallel.h"
#include "kernels/norm.h"

namespace fovea::kernels::cpu {

namespace {

// Per (sample, channel) sum over spatial positions of term(n, s, c), in double: [batch, channels].
template <typename Term>
std::vector<double> channel_sums(const GroupNormShape& shape, Term term) {
  return sum_terms<double>(shape.batch, shape.spatial, shape.channels, term);
}

// Folds [batch, channels] per-channel values into [batch, groups] group totals of
// value(n, c).
template <typename Value>
std::vector<double> group_totals(const GroupNormShape& shape, Value value) {
  const int64_t per_group = shape.channels / shape.groups;
  std::vector<double> total(shape.batch * shape.groups, 0.0);
  for (int64_t n = 0; n < shape.batch; ++n) {
    for (int64_t c = 0; c < shape.channels; ++c)
      total[n * shape.groups + c / per_group] += value(n, c);
  }
  return total;
}

}  // namespace

template <typename T>
void group_norm_forward(const T* x, const T* weight, const T* bias, double eps, T* y, T* mean,
                        T* rstd, GroupNormShape shape) {
  const int64_t C = shape.channels, G = shape.groups, S = shape.spatial, per_group = C / G;
  const double count = static_cast<double>(S * per_group);
  auto at = [&](int64_t n, int64_t s, int64_t c) { return double(x[(n * S + s) * C + c]); };

  const std::vector<double> sums = channel_sums(shape, at);
  std::vector<double> mu =
      group_totals(shape, [&](int64_t n, int64_t c) { return sums[n * C + c]; });
  for (double& m : mu) m /= count;
  const std::vector<double> squares = channel_sums(shape, [&](int64_t n, int64_t s, int64_t c) {
    const double d = at(n, s, c) - mu[n * G + c / per_group];
    return d * d;
  });
  const std::vector<double> var =
      group_totals(shape, [&](int64_t n, int64_t c) { return squares[n * C + c]; });
  for (int64_t k = 0; k < shape.batch * G; ++k) {
    mean[k] = static_cast<T>(mu[k]);
    rstd[k] = static_cast<T>(1.0 / std::sqrt(var[k] / count + eps));
  }

  parallel_for(shape.batch * S, C, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / S;
      const T* xr = x + row * C;
      T* yr = y + row * C;
      for (int64_t c = 0; c < C; ++c) {
        const int64_t k = n * G + c / per_group;
        const T xhat = (xr[c] - mean[k]) * rstd[k];
        yr[c] = xhat * (weight ? weight[c] : T(1)) + (bias ? bias[c] : T(0));
      }
    }
  });
}

template <typename T>
void group_norm_backward(const T* grad_y, const T* x, const T* mean, const T* rstd, const T* weight,
                         T* grad_x, T* grad_weight, T* grad_bias, GroupNormShape shape) {
  const int64_t N = shape.batch, C = shape.channels, G = shape.groups, S = shape.spatial;
  const int64_t per_group = C / G;
  auto w = [&](int64_t c) { return weight ? double(weight[c]) : 1.0; };
  auto group = [&](int64_t n, int64_t c) { return n * G + c / per_group; };

  // Per (sample, channel): sum of dy, and of dy * (x - mean), over spatial positions.
  const std::vector<double> sum_dy = channel_sums(
      shape, [&](int64_t n, int64_t s, int64_t c) { return double(grad_y[(n * S + s) * C + c]); });
  const std::vector<double> sum_dy_centered =
      channel_sums(shape, [&](int64_t n, int64_t s, int64_t c) {
        const int64_t k = (n * S + s) * C + c;
        return double(grad_y[k]) * (double(x[k]) - double(mean[group(n, c)]));
      });

  if (grad_weight || grad_bias) {
    for (int64_t c = 0; c < C; ++c) {
      double dw = 0.0, db = 0.0;
      for (int64_t n = 0; n < N; ++n) {
        dw += sum_dy_centered[n * C + c] * double(rstd[group(n, c)]);
        db += sum_dy[n * C + c];
      }
      if (grad_weight) grad_weight[c] = static_cast<T>(dw);
      if (grad_bias) grad_bias[c] = static_cast<T>(db);
    }
  }
  if (!grad_x) return;

  // Per (sample, group): the means of dxhat = dy * weight and of dxhat * xhat.
  const double count = static_cast<double>(S * per_group);
  const std::vector<double> sum_dxhat =
      group_totals(shape, [&](int64_t n, int64_t c) { return sum_dy[n * C + c] * w(c); });
  const std::vector<double> sum_dxhat_centered =
      group_totals(shape, [&](int64_t n, int64_t c) { return sum_dy_centered[n * C + c] * w(c); });
  std::vector<T> mean_dxhat(N * G), mean_dxhat_xhat(N * G);
  for (int64_t k = 0; k < N * G; ++k) {
    mean_dxhat[k] = static_cast<T>(sum_dxhat[k] / count);
    mean_dxhat_xhat[k] = static_cast<T>(sum_dxhat_centered[k] * double(rstd[k]) / count);
  }
  parallel_for(N * S, C, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / S;
      const T* dy = grad_y + row * C;
      const T* xr = x + row * C;
      T* dx = grad_x + row * C;
      for (int64_t c = 0; c < C; ++c) {
        const int64_t k = group(n, c);
        const T xhat = (xr[c] - mean[k]) * rstd[k];
        const T dxhat = dy[c] * (weight ? weight[c] : T(1));
        dx[c] = rstd[k] * (dxhat - mean_dxhat[k] - xhat * mean_dxhat_xhat[k]);
      }
    }
  });
}

template void group_norm_forward<float>(const float*, const float*, const float*, double, float*,
                                        float*, float*, GroupNormShape);
template void group_norm_forward<double>(const double*, const double*, const double*, double,
                                         double*, double*, double*, GroupNormShape);
template void group_norm_backward<float>(const float*, const float*, const float*, const float*,
                                         const float*, float*, float*, float*, GroupNormShape);
template void group_norm_backward<double>(const double*, const double*, const double*,
                                          const double*, const double*, double*, double*, double*,
                                          GroupNormShape);

}  // namespace fovea::kernels::cpu
