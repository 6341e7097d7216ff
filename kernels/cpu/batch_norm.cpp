// CPU reference for batch norm (kernels/norm.h). x is [rows, channels] with channels
// last, so a channel's values are strided by `channels`: the statistics are column sums,
// which sum_terms accumulates in double over row blocks fixed by the shape alone. The
// optional activation (relu, silu) is applied in the normalising pass and differentiated
// at the recomputed pre-activation, with the same formulas as the activation ops of
// kernels/cpu/elementwise.cpp, so the fused op equals batch norm followed by the
// activation to the last bit.
#include <cmath>
#include <type_traits>
#include <vector>

#include "kernels/cpu/accumulate.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/vector_math.h"
#include "kernels/norm.h"

namespace fovea::kernels::cpu {

namespace {

// Per-channel sum over rows of term(r, c), in double.
template <typename Term>
std::vector<double> column_sums(int64_t rows, int64_t channels, Term term) {
  return sum_terms<double>(1, rows, channels,
                           [&](int64_t, int64_t r, int64_t c) { return term(r, c); });
}

template <NormActivation A, typename T>
T activate(T z) {
  if constexpr (A == NormActivation::relu) return z > 0 ? z : T(0);
  if constexpr (A == NormActivation::silu) return z * sigmoid_of(z);
  return z;
}

// d act / dz at z.
template <NormActivation A, typename T>
T activation_slope(T z) {
  if constexpr (A == NormActivation::relu) return z > 0 ? T(1) : T(0);
  if constexpr (A == NormActivation::silu) {
    const T s = sigmoid_of(z);
    return s * (T(1) + z * (T(1) - s));
  }
  return T(1);
}

// Runs body(std::integral_constant<NormActivation, A>) for the activation given, so each
// activation gets its own loop, with no switch inside it to stop it vectorising.
template <typename Body>
void with_activation(NormActivation activation, Body body) {
  switch (activation) {
    case NormActivation::none:
      return body(std::integral_constant<NormActivation, NormActivation::none>{});
    case NormActivation::relu:
      return body(std::integral_constant<NormActivation, NormActivation::relu>{});
    case NormActivation::silu:
      return body(std::integral_constant<NormActivation, NormActivation::silu>{});
  }
}

}  // namespace

template <typename T>
void batch_norm_stats(const T* x, T* mean, T* var, int64_t rows, int64_t channels) {
  const double count = static_cast<double>(rows);
  std::vector<double> mu = column_sums(
      rows, channels, [&](int64_t r, int64_t c) { return double(x[r * channels + c]); });
  for (double& m : mu) m /= count;
  // Two passes (mean, then squared deviations) avoid the cancellation of E[x^2] - E[x]^2.
  const std::vector<double> squares = column_sums(rows, channels, [&](int64_t r, int64_t c) {
    const double d = double(x[r * channels + c]) - mu[c];
    return d * d;
  });
  for (int64_t c = 0; c < channels; ++c) {
    mean[c] = static_cast<T>(mu[c]);
    var[c] = static_cast<T>(squares[c] / count);
  }
}

template <typename T>
void batch_norm_forward(const T* x, const T* mean, const T* rstd, const T* weight, const T* bias,
                        NormActivation activation, T* y, int64_t rows, int64_t channels) {
  std::vector<T> scale(channels), shift(channels);
  for (int64_t c = 0; c < channels; ++c) {
    scale[c] = rstd[c] * (weight ? weight[c] : T(1));
    shift[c] = bias ? bias[c] : T(0);
  }
  const T* sc = scale.data();
  const T* sh = shift.data();
  with_activation(activation, [&](auto act) {
    parallel_for(rows, channels, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const T* xr = x + r * channels;
        T* yr = y + r * channels;
        for (int64_t c = 0; c < channels; ++c) {
          yr[c] = activate<decltype(act)::value>((xr[c] - mean[c]) * sc[c] + sh[c]);
        }
      }
    });
  });
}

template <typename T>
void batch_norm_backward(const T* grad_y_in, const T* x, const T* mean, const T* rstd,
                         const T* weight, const T* bias, NormActivation activation,
                         bool batch_stats, T* grad_x, T* grad_weight, T* grad_bias, int64_t rows,
                         int64_t channels) {
  // Through the activation first: dz = dy * act'(z) at the recomputed pre-activation z
  // (the same arithmetic as batch_norm_forward's), kept for the passes below.
  std::vector<T> grad_z;
  const T* grad_y = grad_y_in;
  if (activation != NormActivation::none) {
    grad_z.resize(static_cast<size_t>(rows * channels));
    std::vector<T> scale(channels), shift(channels);
    for (int64_t c = 0; c < channels; ++c) {
      scale[c] = rstd[c] * (weight ? weight[c] : T(1));
      shift[c] = bias ? bias[c] : T(0);
    }
    with_activation(activation, [&](auto act) {
      parallel_for(rows, channels, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          for (int64_t c = 0; c < channels; ++c) {
            const int64_t k = r * channels + c;
            const T z = (x[k] - mean[c]) * scale[c] + shift[c];
            grad_z[k] = grad_y_in[k] * activation_slope<decltype(act)::value>(z);
          }
        }
      });
    });
    grad_y = grad_z.data();
  }
  // sum_dy[c] = sum of dy, sum_dy_xhat[c] = sum of dy * xhat over the channel's rows.
  std::vector<double> sum_dy, sum_dy_xhat;
  if (grad_bias || (grad_x && batch_stats)) {
    sum_dy = column_sums(rows, channels,
                         [&](int64_t r, int64_t c) { return double(grad_y[r * channels + c]); });
  }
  if (grad_weight || (grad_x && batch_stats)) {
    sum_dy_xhat = column_sums(rows, channels, [&](int64_t r, int64_t c) {
      const int64_t k = r * channels + c;
      return double(grad_y[k]) * (double(x[k]) - double(mean[c]));
    });
    for (int64_t c = 0; c < channels; ++c) sum_dy_xhat[c] *= double(rstd[c]);
  }
  for (int64_t c = 0; c < channels; ++c) {
    if (grad_bias) grad_bias[c] = static_cast<T>(sum_dy[c]);
    if (grad_weight) grad_weight[c] = static_cast<T>(sum_dy_xhat[c]);
  }
  if (!grad_x) return;

  // dx = k * (dy - mean_dy - xhat * mean_dy_xhat), with k = weight * rstd; the two means
  // are zero when the statistics are constants (eval).
  const double count = static_cast<double>(rows);
  std::vector<T> k(channels), mean_dy(channels, T(0)), mean_dy_xhat(channels, T(0));
  for (int64_t c = 0; c < channels; ++c) {
    k[c] = rstd[c] * (weight ? weight[c] : T(1));
    if (batch_stats) {
      mean_dy[c] = static_cast<T>(sum_dy[c] / count);
      mean_dy_xhat[c] = static_cast<T>(sum_dy_xhat[c] / count);
    }
  }
  parallel_for(rows, channels, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* dy = grad_y + r * channels;
      const T* xr = x + r * channels;
      T* dx = grad_x + r * channels;
      for (int64_t c = 0; c < channels; ++c) {
        const T xhat = (xr[c] - mean[c]) * rstd[c];
        dx[c] = k[c] * (dy[c] - mean_dy[c] - xhat * mean_dy_xhat[c]);
      }
    }
  });
}

template void batch_norm_stats<float>(const float*, float*, float*, int64_t, int64_t);
template void batch_norm_stats<double>(const double*, double*, double*, int64_t, int64_t);
template void batch_norm_forward<float>(const float*, const float*, const float*, const float*,
                                        const float*, NormActivation, float*, int64_t, int64_t);
template void batch_norm_forward<double>(const double*, const double*, const double*, const double*,
                                         const double*, NormActivation, double*, int64_t, int64_t);
template void batch_norm_backward<float>(const float*, const float*, const float*, const float*,
                                         const float*, const float*, NormActivation, bool, float*,
                                         float*, float*, int64_t, int64_t);
template void batch_norm_backward<double>(const double*, const double*, const double*,
                                          const double*, const double*, const double*,
                                          NormActivation, bool, double*, double*, double*, int64_t,
                                          int64_t);

}  // namespace fovea::kernels::cpu
