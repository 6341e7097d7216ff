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

// Per (sample, channel) sum over spatial positions of term(n, s, c), in double:
// [batch, channels].
template <typename Term>
std::vector<double> channel_sums(const GroupNormShape& shape, Term term) {
  return sum_terms<double>(shape.batch, shape.spatial, shape.channels, term);
}

// Folds [batch, channels] values into [batch, groups] totals, in channel order.
std::vector<double> group_totals(const GroupNormShape& shape, const std::vector<double>& values) {
  const int64_t per_group = shape.channels / shape.groups;
  std::vector<double> total(shape.batch * shape.groups, 0.0);
  for (int64_t n = 0; n < shape.batch; ++n) {
    for (int64_t c = 0; c < shape.channels; ++c) {
      total[n * shape.groups + c / per_group] += values[n * shape.channels + c];
    }
  }
  return total;
}

// Repeats each (sample, group) value over the group's channels: [batch, channels]. The
// element loops then index per-channel arrays, as in batch norm, with no division.
template <typename V, typename U>
std::vector<V> per_channel(const GroupNormShape& shape, const U* group_values) {
  const int64_t per_group = shape.channels / shape.groups;
  std::vector<V> out(shape.batch * shape.channels);
  for (int64_t n = 0; n < shape.batch; ++n) {
    for (int64_t c = 0; c < shape.channels; ++c) {
      out[n * shape.channels + c] = static_cast<V>(group_values[n * shape.groups + c / per_group]);
    }
  }
  return out;
}

}  // namespace

template <typename T>
void group_norm_forward(const T* x, const T* weight, const T* bias, double eps, T* y, T* mean,
                        T* rstd, GroupNormShape shape) {
  const int64_t N = shape.batch, C = shape.channels, G = shape.groups, S = shape.spatial;
  const double count = static_cast<double>(S * (C / G));
  auto at = [&](int64_t n, int64_t s, int64_t c) { return double(x[(n * S + s) * C + c]); };

  std::vector<double> mu = group_totals(shape, channel_sums(shape, at));
  for (double& m : mu) m /= count;
  // Two passes (mean, then squared deviations) avoid the cancellation of E[x^2] - E[x]^2.
  const std::vector<double> mu_c = per_channel<double>(shape, mu.data());
  const std::vector<double> var =
      group_totals(shape, channel_sums(shape, [&](int64_t n, int64_t s, int64_t c) {
                     const double d = at(n, s, c) - mu_c[n * C + c];
                     return d * d;
                   }));
  for (int64_t k = 0; k < N * G; ++k) {
    mean[k] = static_cast<T>(mu[k]);
    rstd[k] = static_cast<T>(1.0 / std::sqrt(var[k] / count + eps));
  }

  // y = (x - mean) * scale + shift with per-(sample, channel) scale = rstd * weight.
  const std::vector<T> mean_c = per_channel<T>(shape, mean);
  std::vector<T> scale = per_channel<T>(shape, rstd);
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t c = 0; c < C; ++c) scale[n * C + c] *= weight ? weight[c] : T(1);
  }
  parallel_for(N * S, C, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / S;
      const T* xr = x + row * C;
      const T* m = mean_c.data() + n * C;
      const T* k = scale.data() + n * C;
      T* yr = y + row * C;
      for (int64_t c = 0; c < C; ++c) yr[c] = (xr[c] - m[c]) * k[c] + (bias ? bias[c] : T(0));
    }
  });
}

template <typename T>
void group_norm_backward(const T* grad_y, const T* x, const T* mean, const T* rstd, const T* weight,
                         T* grad_x, T* grad_weight, T* grad_bias, GroupNormShape shape) {
  const int64_t N = shape.batch, C = shape.channels, G = shape.groups, S = shape.spatial;
  auto w = [&](int64_t c) { return weight ? double(weight[c]) : 1.0; };
  const std::vector<T> mean_c = per_channel<T>(shape, mean);
  const std::vector<T> rstd_c = per_channel<T>(shape, rstd);

  // Per (sample, channel): sum of dy, and of dy * (x - mean), over spatial positions.
  const std::vector<double> sum_dy = channel_sums(
      shape, [&](int64_t n, int64_t s, int64_t c) { return double(grad_y[(n * S + s) * C + c]); });
  const std::vector<double> sum_dy_centered =
      channel_sums(shape, [&](int64_t n, int64_t s, int64_t c) {
        const int64_t k = (n * S + s) * C + c;
        return double(grad_y[k]) * (double(x[k]) - double(mean_c[n * C + c]));
      });

  for (int64_t c = 0; c < C; ++c) {
    double dw = 0.0, db = 0.0;
    for (int64_t n = 0; n < N; ++n) {
      dw += sum_dy_centered[n * C + c] * double(rstd_c[n * C + c]);
      db += sum_dy[n * C + c];
    }
    if (grad_weight) grad_weight[c] = static_cast<T>(dw);
    if (grad_bias) grad_bias[c] = static_cast<T>(db);
  }
  if (!grad_x) return;

  // Per (sample, group): the means of dxhat = dy * weight and of dxhat * xhat.
  const double count = static_cast<double>(S * (C / G));
  std::vector<double> dxhat(N * C), dxhat_centered(N * C);
  for (int64_t k = 0; k < N * C; ++k) {
    dxhat[k] = sum_dy[k] * w(k % C);
    dxhat_centered[k] = sum_dy_centered[k] * w(k % C);
  }
  std::vector<double> mean_dxhat = group_totals(shape, dxhat);
  std::vector<double> mean_dxhat_xhat = group_totals(shape, dxhat_centered);
  for (int64_t k = 0; k < N * G; ++k) {
    mean_dxhat[k] /= count;
    mean_dxhat_xhat[k] *= double(rstd[k]) / count;
  }
  const std::vector<T> mean_dxhat_c = per_channel<T>(shape, mean_dxhat.data());
  const std::vector<T> mean_dxhat_xhat_c = per_channel<T>(shape, mean_dxhat_xhat.data());
  parallel_for(N * S, C, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t base = (row / S) * C;  // this sample's per-channel arrays
      const T* dy = grad_y + row * C;
      const T* xr = x + row * C;
      T* dx = grad_x + row * C;
      for (int64_t c = 0; c < C; ++c) {
        const int64_t k = base + c;
        const T xhat = (xr[c] - mean_c[k]) * rstd_c[k];
        const T dxhat_value = dy[c] * (weight ? weight[c] : T(1));
        dx[c] = rstd_c[k] * (dxhat_value - mean_dxhat_c[k] - xhat * mean_dxhat_xhat_c[k]);
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
