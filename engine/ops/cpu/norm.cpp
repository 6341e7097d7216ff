// The CPU halves of the normalisation ops: dtype dispatch around kernels/norm.h.
#include "engine/ops/cpu/norm.h"

#include "engine/autograd.h"
#include "engine/ops/dispatch.h"
#include "engine/ops/elementwise.h"

namespace fovea::cpu {

namespace {}  // namespace

void layer_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                        const Tensor& y, const Tensor& mean, const Tensor& rstd, int64_t rows,
                        int64_t cols) {
  visit_floating(x.dtype(), "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::layer_norm_forward<T>(data_or_null<const T>(x), data_or_null<const T>(weight),
                                        data_or_null<const T>(bias), eps, data_or_null<T>(y),
                                        data_or_null<T>(mean), data_or_null<T>(rstd), rows, cols);
  });
}

void layer_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor& mean,
                         const Tensor& rstd, const Tensor& weight, const Tensor& grad_x,
                         const Tensor& grad_weight, const Tensor& grad_bias, int64_t rows,
                         int64_t cols) {
  visit_floating(x.dtype(), "layer_norm backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::layer_norm_backward<T>(
        data_or_null<const T>(grad_y), data_or_null<const T>(x), data_or_null<const T>(mean),
        data_or_null<const T>(rstd), data_or_null<const T>(weight), data_or_null<T>(grad_x),
        data_or_null<T>(grad_weight), data_or_null<T>(grad_bias), rows, cols);
  });
}

void batch_norm_stats(const Tensor& x, double eps, const Tensor& mean, const Tensor& var,
                      const Tensor& rstd, int64_t rows, int64_t channels) {
  visit_floating(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::batch_norm_stats<T>(data_or_null<const T>(x), data_or_null<T>(mean),
                                      data_or_null<T>(var), rows, channels);
  });
  NoGradGuard no_grad;
  Tensor out = rstd;
  out.copy_(rsqrt(add(var, eps)));
}

void batch_norm_update_running(const Tensor& mean, const Tensor& var, const Tensor& running_mean,
                               const Tensor& running_var, double momentum, double bessel) {
  NoGradGuard no_grad;
  Tensor rm = running_mean, rv = running_var;
  mul_(rm, 1.0 - momentum);
  add_scaled_(rm, mean, momentum);
  mul_(rv, 1.0 - momentum);
  add_scaled_(rv, var, momentum * bessel);
}

void batch_norm_eval_stats(const Tensor& running_mean, const Tensor& running_var, double eps,
                           const Tensor& mean, const Tensor& rstd) {
  NoGradGuard no_grad;
  Tensor m = mean, r = rstd;
  m.copy_(running_mean);
  r.copy_(rsqrt(add(running_var.to(rstd.dtype()), eps)));
}

void batch_norm_forward(const Tensor& x, const Tensor& mean, const Tensor& rstd,
                        const Tensor& weight, const Tensor& bias,
                        kernels::NormActivation activation, const Tensor& y, int64_t rows,
                        int64_t channels) {
  visit_floating(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::batch_norm_forward<T>(data_or_null<const T>(x), data_or_null<const T>(mean),
                                        data_or_null<const T>(rstd), data_or_null<const T>(weight),
                                        data_or_null<const T>(bias), activation, data_or_null<T>(y),
                                        rows, channels);
  });
}

void batch_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor& mean,
                         const Tensor& rstd, const Tensor& weight, const Tensor& bias,
                         kernels::NormActivation activation, bool batch_stats, const Tensor& grad_x,
                         const Tensor& grad_weight, const Tensor& grad_bias, int64_t rows,
                         int64_t channels) {
  visit_floating(x.dtype(), "batch_norm backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::batch_norm_backward<T>(
        data_or_null<const T>(grad_y), data_or_null<const T>(x), data_or_null<const T>(mean),
        data_or_null<const T>(rstd), data_or_null<const T>(weight), data_or_null<const T>(bias),
        activation, batch_stats, data_or_null<T>(grad_x), data_or_null<T>(grad_weight),
        data_or_null<T>(grad_bias), rows, channels);
  });
}

void group_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                        const Tensor& y, const Tensor& mean, const Tensor& rstd,
                        kernels::GroupNormShape shape) {
  visit_floating(x.dtype(), "group_norm", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::group_norm_forward<T>(data_or_null<const T>(x), data_or_null<const T>(weight),
                                        data_or_null<const T>(bias), eps, data_or_null<T>(y),
                                        data_or_null<T>(mean), data_or_null<T>(rstd), shape);
  });
}

void group_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor& mean,
                         const Tensor& rstd, const Tensor& weight, const Tensor& grad_x,
                         const Tensor& grad_weight, const Tensor& grad_bias,
                         kernels::GroupNormShape shape) {
  visit_floating(x.dtype(), "group_norm backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::group_norm_backward<T>(
        data_or_null<const T>(grad_y), data_or_null<const T>(x), data_or_null<const T>(mean),
        data_or_null<const T>(rstd), data_or_null<const T>(weight), data_or_null<T>(grad_x),
        data_or_null<T>(grad_weight), data_or_null<T>(grad_bias), shape);
  });
}

}  // namespace fovea::cpu
