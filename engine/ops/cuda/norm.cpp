// Host side of the CUDA normalisation ops: device guard, dtype dispatch and workspace
// allocation around the launchers of kernels/cuda/norm.h.
#include "engine/ops/cuda/norm.h"

#include "engine/ops/cuda/dispatch.h"
#include "engine/ops/dispatch.h"
#include "engine/ops/elementwise.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/norm.h"

namespace fovea::cuda {

namespace {

Tensor f32_workspace(int64_t count, const Tensor& like) {
  return make_tensor({count > 0 ? count : 1}, DType::f32, like.device());
}

}  // namespace

void layer_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                        const Tensor& y, const Tensor& mean, const Tensor& rstd, int64_t rows,
                        int64_t cols) {
  DeviceGuard guard(x.device().index);
  visit_cuda_floating(x.dtype(), "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::layer_norm_forward<T>(data_or_null<const T>(x), data_or_null<const T>(weight),
                                         data_or_null<const T>(bias), eps, data_or_null<T>(y),
                                         data_or_null<float>(mean), data_or_null<float>(rstd), rows,
                                         cols, stream_for(x));
  });
}

void layer_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor& mean,
                         const Tensor& rstd, const Tensor& weight, const Tensor& grad_x,
                         const Tensor& grad_weight, const Tensor& grad_bias, int64_t rows,
                         int64_t cols) {
  DeviceGuard guard(x.device().index);
  const bool params = grad_weight.defined() || grad_bias.defined();
  const Tensor workspace =
      params ? f32_workspace(kernels::cuda::layer_norm_backward_workspace(rows, cols), x)
             : Tensor();
  visit_cuda_floating(x.dtype(), "layer_norm backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::layer_norm_backward<T>(
        data_or_null<const T>(grad_y), data_or_null<const T>(x), data_or_null<const float>(mean),
        data_or_null<const float>(rstd), data_or_null<const T>(weight), data_or_null<T>(grad_x),
        data_or_null<T>(grad_weight), data_or_null<T>(grad_bias), data_or_null<float>(workspace),
        rows, cols, stream_for(x));
  });
}

void batch_norm_stats(const Tensor& x, double eps, const Tensor& mean, const Tensor& var,
                      const Tensor& rstd, int64_t rows, int64_t channels) {
  DeviceGuard guard(x.device().index);
  const Tensor workspace = f32_workspace(kernels::cuda::batch_norm_workspace(rows, channels), x);
  visit_cuda_floating(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::batch_norm_stats<T>(data_or_null<const T>(x), data_or_null<float>(mean),
                                       data_or_null<float>(var), data_or_null<float>(rstd), eps,
                                       data_or_null<float>(workspace), rows, channels,
                                       stream_for(x));
  });
}

void batch_norm_update_running(const Tensor& mean, const Tensor& var, const Tensor& running_mean,
                               const Tensor& running_var, double momentum, double bessel) {
  DeviceGuard guard(mean.device().index);
  FOVEA_CHECK(running_mean.is_contiguous() && running_var.is_contiguous() &&
                  running_mean.dtype() == running_var.dtype(),
              "batch_norm: on CUDA the running stats must be contiguous and of one dtype (got "
              "{} and {})",
              dtype_name(running_mean.dtype()), dtype_name(running_var.dtype()));
  visit_cuda_floating(running_mean.dtype(), "batch_norm running stats", [&](auto tag) {
    using R = decltype(tag);
    kernels::cuda::batch_norm_update_running<R>(
        data_or_null<const float>(mean), data_or_null<const float>(var),
        data_or_null<R>(running_mean), data_or_null<R>(running_var), momentum, bessel, mean.numel(),
        stream_for(mean));
  });
}

void batch_norm_eval_stats(const Tensor& running_mean, const Tensor& running_var, double eps,
                           const Tensor& mean, const Tensor& rstd) {
  DeviceGuard guard(mean.device().index);
  const Tensor rm = running_mean.contiguous();
  const Tensor rv = running_var.to(running_mean.dtype()).contiguous();
  visit_cuda_floating(rm.dtype(), "batch_norm running stats", [&](auto tag) {
    using R = decltype(tag);
    kernels::cuda::batch_norm_eval_stats<R>(
        data_or_null<const R>(rm), data_or_null<const R>(rv), eps, data_or_null<float>(mean),
        data_or_null<float>(rstd), mean.numel(), stream_for(mean));
  });
}

void batch_norm_forward(const Tensor& x, const Tensor& mean, const Tensor& rstd,
                        const Tensor& weight, const Tensor& bias,
                        kernels::NormActivation activation, const Tensor& y, int64_t rows,
                        int64_t channels) {
  DeviceGuard guard(x.device().index);
  visit_cuda_floating(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::batch_norm_forward<T>(
        data_or_null<const T>(x), data_or_null<const float>(mean), data_or_null<const float>(rstd),
        data_or_null<const T>(weight), data_or_null<const T>(bias), activation, data_or_null<T>(y),
        rows, channels, stream_for(x));
  });
}

void batch_norm_backward(const Tensor& grad_y_in, const Tensor& x, const Tensor& mean,
                         const Tensor& rstd, const Tensor& weight, const Tensor& bias,
                         kernels::NormActivation activation, bool batch_stats, const Tensor& grad_x,
                         const Tensor& grad_weight, const Tensor& grad_bias, int64_t rows,
                         int64_t channels) {
  DeviceGuard guard(x.device().index);
  Tensor grad_y = grad_y_in;
  if (activation != kernels::NormActivation::none) {
    // Through the activation first, at the pre-activation recomputed from x and the stats.
    const Tensor z = make_tensor(x.shape(), x.dtype(), x.device());
    batch_norm_forward(x, mean, rstd, weight, bias, kernels::NormActivation::none, z, rows,
                       channels);
    grad_y =
        unary_backward_raw(activation == kernels::NormActivation::relu ? kernels::UnaryOp::relu
                                                                       : kernels::UnaryOp::silu,
                           {}, grad_y_in, z);
  }
  const Tensor workspace = f32_workspace(kernels::cuda::batch_norm_workspace(rows, channels), x);
  visit_cuda_floating(x.dtype(), "batch_norm backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::batch_norm_backward<T>(
        data_or_null<const T>(grad_y), data_or_null<const T>(x), data_or_null<const float>(mean),
        data_or_null<const float>(rstd), data_or_null<const T>(weight), batch_stats,
        data_or_null<T>(grad_x), data_or_null<T>(grad_weight), data_or_null<T>(grad_bias),
        data_or_null<float>(workspace), rows, channels, stream_for(x));
  });
}

void group_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                        const Tensor& y, const Tensor& mean, const Tensor& rstd,
                        kernels::GroupNormShape shape) {
  DeviceGuard guard(x.device().index);
  visit_cuda_floating(x.dtype(), "group_norm", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::group_norm_forward<T>(data_or_null<const T>(x), data_or_null<const T>(weight),
                                         data_or_null<const T>(bias), eps, data_or_null<T>(y),
                                         data_or_null<float>(mean), data_or_null<float>(rstd),
                                         shape, stream_for(x));
  });
}

void group_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor& mean,
                         const Tensor& rstd, const Tensor& weight, const Tensor& grad_x,
                         const Tensor& grad_weight, const Tensor& grad_bias,
                         kernels::GroupNormShape shape) {
  DeviceGuard guard(x.device().index);
  const bool params = grad_weight.defined() || grad_bias.defined();
  const Tensor workspace =
      params ? f32_workspace(kernels::cuda::group_norm_backward_workspace(shape), x) : Tensor();
  visit_cuda_floating(x.dtype(), "group_norm backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::group_norm_backward<T>(
        data_or_null<const T>(grad_y), data_or_null<const T>(x), data_or_null<const float>(mean),
        data_or_null<const float>(rstd), data_or_null<const T>(weight), data_or_null<T>(grad_x),
        data_or_null<T>(grad_weight), data_or_null<T>(grad_bias), data_or_null<float>(workspace),
        shape, stream_for(x));
  });
}

}  // namespace fovea::cuda
