// The CPU halves of the normalisation ops: dtype dispatch around kernels/norm.h.
#include "engine/ops/cpu/norm.h"

#include "engine/autograd.h"
#include "engine/ops/dispatch.h"
#include "engine/ops/elementwise.h"

namespace fovea::cpu {

namespace {

// The raw data of an optional tensor; null when it is undefined.
template <typename T>
T* ptr(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr;
}

}  // namespace

void layer_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                        const Tensor& y, const Tensor& mean, const Tensor& rstd, int64_t rows,
                        int64_t cols) {
  visit_floating(x.dtype(), "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::layer_norm_forward<T>(ptr<const T>(x), ptr<const T>(weight), ptr<const T>(bias),
                                        eps, ptr<T>(y), ptr<T>(mean), ptr<T>(rstd), rows, cols);
  });
}

void layer_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor& mean,
                         const Tensor& rstd, const Tensor& weight, const Tensor& grad_x,
                         const Tensor& grad_weight, const Tensor& grad_bias, int64_t rows,
                         int64_t cols) {
  visit_floating(x.dtype(), "layer_norm backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::layer_norm_backward<T>(ptr<const T>(grad_y), ptr<const T>(x), ptr<const T>(mean),
                                         ptr<const T>(rstd), ptr<const T>(weight), ptr<T>(grad_x),
                                         ptr<T>(grad_weight), ptr<T>(grad_bias), rows, cols);
  });
}

void batch_norm_stats(const Tensor& x, double eps, const Tensor& mean, const Tensor& var,
                      const Tensor& rstd, int64_t rows, int64_t channels) {
  visit_floating(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::batch_norm_stats<T>(ptr<const T>(x), ptr<T>(mean), ptr<T>(var), rows, channels);
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
    kernels::cpu::batch_norm_forward<T>(ptr<const T>(x), ptr<const T>(mean), ptr<const T>(rstd),
                                        ptr<const T>(weight), ptr<const T>(bias), activation,
                                        ptr<T>(y), rows, channels);
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
        ptr<const T>(grad_y), ptr<const T>(x), ptr<const T>(mean), ptr<const T>(rstd),
        ptr<const T>(weight), ptr<const T>(bias), activation, batch_stats, ptr<T>(grad_x),
        ptr<T>(grad_weight), ptr<T>(grad_bias), rows, channels);
  });
}

void group_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                        const Tensor& y, const Tensor& mean, const Tensor& rstd,
                        kernels::GroupNormShape shape) {
  visit_floating(x.dtype(), "group_norm", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::group_norm_forward<T>(ptr<const T>(x), ptr<const T>(weight), ptr<const T>(bias),
                                        eps, ptr<T>(y), ptr<T>(mean), ptr<T>(rstd), shape);
  });
}

void group_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor& mean,
                         const Tensor& rstd, const Tensor& weight, const Tensor& grad_x,
                         const Tensor& grad_weight, const Tensor& grad_bias,
                         kernels::GroupNormShape shape) {
  visit_floating(x.dtype(), "group_norm backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::group_norm_backward<T>(ptr<const T>(grad_y), ptr<const T>(x), ptr<const T>(mean),
                                         ptr<const T>(rstd), ptr<const T>(weight), ptr<T>(grad_x),
                                         ptr<T>(grad_weight), ptr<T>(grad_bias), shape);
  });
}

}  // namespace fovea::cpu
