// Normalisation ops: argument checks, dtype handling and the autograd records around the
// CPU and CUDA halves (engine/ops/cpu/norm.h, engine/ops/cuda/norm.h). Each forward saves
// the input, the weight and the statistics it used (mean and inverse std); the backward
// kernels rebuild xhat from them.
#include "engine/ops/norm.h"

#include <utility>

#include "engine/autocast.h"
#include "engine/autograd.h"
#include "engine/ops/cpu/norm.h"
#include "engine/ops/cuda/norm.h"
#include "engine/ops/dispatch.h"
#include "engine/profile.h"
#include "kernels/norm.h"

namespace fovea {

using kernels::NormActivation;

namespace {

// x, weight and bias in the dtype the kernels compute in, contiguous. The conversions
// are differentiable, so gradients reach the caller's tensors in their own dtypes.
struct NormInputs {
  Tensor x, weight, bias;
  Device device;
  DType out_dtype = DType::f32;  // x's dtype after autocast: the result's dtype
  DType compute = DType::f32;
  bool cuda = false;  // the CUDA kernels compute f16/bf16 natively, statistics in f32
};

NormInputs prepare_inputs(const char* op, const Tensor& x_in, const Tensor& weight,
                          const Tensor& bias) {
  const Tensor x = autocast(x_in, AutocastPolicy::fp32);
  check_floating(x, op, "input");
  if (weight.defined()) check_floating(weight, op, "weight");
  if (bias.defined()) check_floating(bias, op, "bias");
  NormInputs in;
  in.device = common_device(op, {&x, &weight, &bias});
  in.cuda = in.device.is_cuda();
  in.out_dtype = x.dtype();
  in.compute = in.cuda ? x.dtype() : cpu_compute_dtype(x.dtype());
  auto prepare = [&](const Tensor& t) { return t.defined() ? t.to(in.compute).contiguous() : t; };
  in.x = prepare(x);
  in.weight = prepare(weight);
  in.bias = prepare(bias);
  return in;
}

// A per-channel tensor ([C]) must match the input's last dim.
void check_channel_param(const char* op, const Tensor& param, const char* what, const Tensor& x) {
  if (!param.defined()) return;
  const int64_t channels = x.size(-1);
  FOVEA_CHECK(param.shape() == Shape{channels},
              "{}: {} has shape {} but the input has {} channels (last dim of {})", op, what,
              shape_str(param.shape()), channels, shape_str(x.shape()));
}

Tensor detached(const Tensor& t) {
  return t.defined() ? t.detach() : t;
}

// The upstream gradient in the kernels' layout and dtype.
Tensor upstream_grad(const BackwardContext& ctx, DType compute) {
  return ctx.grad().to(compute).contiguous();
}

// The dtype the statistics are kept in: f32 on CUDA, the compute dtype on the CPU.
DType stats_dtype(const NormInputs& in) {
  return in.cuda ? DType::f32 : in.compute;
}

}  // namespace

Tensor batch_norm(const Tensor& x_in, const Tensor& weight, const Tensor& bias, Tensor running_mean,
                  Tensor running_var, bool training, double momentum, double eps,
                  NormActivation activation) {
  const profile::OpScope scope("batch_norm", x_in, weight, bias);
  const char* op = "batch_norm";
  // fvcore's count, which timm's published GMACs use: an affine eval-mode batch norm is a
  // multiply-add per element; in training, like the other norms, five per element.
  count_macs(x_in.numel() * (training ? 5 : (weight.defined() ? 2 : 1)));
  FOVEA_CHECK(x_in.dim() >= 2,
              "batch_norm: input must have at least 2 dims ([N, C] or [N, H, W, C]), got shape {}",
              shape_str(x_in.shape()));
  check_channel_param(op, weight, "weight", x_in);
  check_channel_param(op, bias, "bias", x_in);
  check_channel_param(op, running_mean, "running_mean", x_in);
  check_channel_param(op, running_var, "running_var", x_in);
  FOVEA_CHECK(running_mean.defined() == running_var.defined(),
              "batch_norm: running_mean and running_var must be given together (got only {})",
              running_mean.defined() ? "running_mean" : "running_var");
  FOVEA_CHECK(training || running_mean.defined(),
              "batch_norm: eval mode (training=false) needs running_mean and running_var; "
              "without running stats use training=true");
  const int64_t channels = x_in.size(-1);
  const int64_t rows = channels == 0 ? 0 : x_in.numel() / channels;
  FOVEA_CHECK(
      !training || rows > 1,
      "batch_norm: expected more than 1 value per channel when training, got input shape {}",
      shape_str(x_in.shape()));
  if (running_mean.defined()) {
    check_floating(running_mean, op, "running_mean");
    check_floating(running_var, op, "running_var");
  }
  common_device(op, {&x_in, &weight, &bias, &running_mean, &running_var});
  const NormInputs in = prepare_inputs(op, x_in, weight, bias);
  const DType compute = in.compute;
  const DType stats = stats_dtype(in);

  // The statistics that normalise x: the batch's (training) or the running ones (eval).
  const Tensor mean = make_tensor({channels}, stats, in.device);
  const Tensor rstd = make_tensor({channels}, stats, in.device);
  {
    NoGradGuard no_grad;
    if (training) {
      const Tensor var = make_tensor({channels}, stats, in.device);
      const double bessel = static_cast<double>(rows) / static_cast<double>(rows - 1);
      switch (in.device.type) {
        case DeviceType::CPU:
          cpu::batch_norm_stats(in.x, eps, mean, var, rstd, rows, channels);
          break;
        case DeviceType::CUDA:
          cuda::batch_norm_stats(in.x, eps, mean, var, rstd, rows, channels);
          break;
      }
      if (running_mean.defined()) {
        switch (in.device.type) {
          case DeviceType::CPU:
            cpu::batch_norm_update_running(mean, var, running_mean, running_var, momentum, bessel);
            break;
          case DeviceType::CUDA:
            cuda::batch_norm_update_running(mean, var, running_mean, running_var, momentum, bessel);
            break;
        }
      }
    } else {
      switch (in.device.type) {
        case DeviceType::CPU:
          cpu::batch_norm_eval_stats(running_mean, running_var, eps, mean, rstd);
          break;
        case DeviceType::CUDA:
          cuda::batch_norm_eval_stats(running_mean, running_var, eps, mean, rstd);
          break;
      }
    }
  }

  // One node on both devices: the activation runs in the normalising pass.
  Tensor y = make_tensor(in.x.shape(), compute, in.device);
  switch (in.device.type) {
    case DeviceType::CPU:
      cpu::batch_norm_forward(in.x, mean, rstd, in.weight, in.bias, activation, y, rows, channels);
      break;
    case DeviceType::CUDA:
      cuda::batch_norm_forward(in.x, mean, rstd, in.weight, in.bias, activation, y, rows, channels);
      break;
  }
  // The bias is saved only when the backward recomputes the pre-activation.
  const bool recompute = activation != NormActivation::none;
  record_op(
      op, {in.x, in.weight, in.bias}, {y},
      [x = in.x.detach(), w = detached(in.weight), b = recompute ? detached(in.bias) : Tensor(),
       mean, rstd, training, activation, rows, channels](const BackwardContext& ctx) {
        const DType compute = x.dtype();
        const Tensor gy = upstream_grad(ctx, compute);
        Tensor gx = output_if(ctx.needs_grad(0), x.shape(), x.dtype(), x.device());
        Tensor gw = output_if(ctx.needs_grad(1), {channels}, x.dtype(), x.device());
        Tensor gb = output_if(ctx.needs_grad(2), {channels}, x.dtype(), x.device());
        switch (x.device().type) {
          case DeviceType::CPU:
            cpu::batch_norm_backward(gy, x, mean, rstd, w, b, activation, training, gx, gw, gb,
                                     rows, channels);
            break;
          case DeviceType::CUDA:
            cuda::batch_norm_backward(gy, x, mean, rstd, w, b, activation, training, gx, gw, gb,
                                      rows, channels);
            break;
        }
        return TensorList{gx, gw, gb};
      });
  return y.to(in.out_dtype);
}

Tensor layer_norm(const Tensor& x_in, const Shape& normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  const profile::OpScope scope("layer_norm", x_in, weight, bias);
  const char* op = "layer_norm";
  count_macs(x_in.numel() * (weight.defined() ? 5 : 4));  // fvcore's norm count
  const int64_t norm_dims = static_cast<int64_t>(normalized_shape.size());
  FOVEA_CHECK(norm_dims >= 1, "layer_norm: normalized_shape must have at least one dim (input {})",
              shape_str(x_in.shape()));
  const int64_t lead_dims = x_in.dim() - norm_dims;
  FOVEA_CHECK(lead_dims >= 0 &&
                  Shape(x_in.shape().begin() + lead_dims, x_in.shape().end()) == normalized_shape,
              "layer_norm: normalized_shape {} does not match the trailing dims of {}",
              shape_str(normalized_shape), shape_str(x_in.shape()));
  for (const auto& [param, what] : {std::pair{&weight, "weight"}, std::pair{&bias, "bias"}}) {
    FOVEA_CHECK(!param->defined() || param->shape() == normalized_shape,
                "layer_norm: {} has shape {} but normalized_shape is {}", what,
                shape_str(param->shape()), shape_str(normalized_shape));
  }
  const NormInputs in = prepare_inputs(op, x_in, weight, bias);
  const DType compute = in.compute;
  const int64_t cols = shape_numel(normalized_shape);
  int64_t rows = 1;
  for (int64_t d = 0; d < lead_dims; ++d) rows *= x_in.size(d);

  Tensor y = make_tensor(in.x.shape(), compute, in.x.device());
  Tensor mean = make_tensor({rows}, stats_dtype(in), in.x.device());
  Tensor rstd = make_tensor({rows}, stats_dtype(in), in.x.device());
  switch (in.device.type) {
    case DeviceType::CPU:
      cpu::layer_norm_forward(in.x, in.weight, in.bias, eps, y, mean, rstd, rows, cols);
      break;
    case DeviceType::CUDA:
      cuda::layer_norm_forward(in.x, in.weight, in.bias, eps, y, mean, rstd, rows, cols);
      break;
  }
  record_op(op, {in.x, in.weight, in.bias}, {y},
            [x = in.x.detach(), w = detached(in.weight), mean, rstd, normalized_shape, rows,
             cols](const BackwardContext& ctx) {
              const DType compute = x.dtype();
              const Tensor gy = upstream_grad(ctx, compute);
              Tensor gx = output_if(ctx.needs_grad(0), x.shape(), x.dtype(), x.device());
              Tensor gw = output_if(ctx.needs_grad(1), normalized_shape, x.dtype(), x.device());
              Tensor gb = output_if(ctx.needs_grad(2), normalized_shape, x.dtype(), x.device());
              switch (x.device().type) {
                case DeviceType::CPU:
                  cpu::layer_norm_backward(gy, x, mean, rstd, w, gx, gw, gb, rows, cols);
                  break;
                case DeviceType::CUDA:
                  cuda::layer_norm_backward(gy, x, mean, rstd, w, gx, gw, gb, rows, cols);
                  break;
              }
              return TensorList{gx, gw, gb};
            });
  return y.to(in.out_dtype);
}

Tensor group_norm(const Tensor& x_in, int64_t num_groups, const Tensor& weight, const Tensor& bias,
                  double eps) {
  const profile::OpScope scope("group_norm", x_in, weight, bias);
  const char* op = "group_norm";
  count_macs(x_in.numel() * (weight.defined() ? 5 : 4));  // fvcore's norm count
  FOVEA_CHECK(x_in.dim() >= 2,
              "group_norm: input must have at least 2 dims ([N, ..., C], channels last), got "
              "shape {}",
              shape_str(x_in.shape()));
  FOVEA_CHECK(num_groups > 0, "group_norm: num_groups must be positive, got {}", num_groups);
  const int64_t channels = x_in.size(-1);
  FOVEA_CHECK(channels % num_groups == 0,
              "group_norm: {} channels do not divide into {} groups (input {})", channels,
              num_groups, shape_str(x_in.shape()));
  check_channel_param(op, weight, "weight", x_in);
  check_channel_param(op, bias, "bias", x_in);
  const NormInputs in = prepare_inputs(op, x_in, weight, bias);
  const DType compute = in.compute;
  kernels::GroupNormShape shape{
      .batch = x_in.size(0), .spatial = 1, .channels = channels, .groups = num_groups};
  for (int64_t d = 1; d + 1 < x_in.dim(); ++d) shape.spatial *= x_in.size(d);

  Tensor y = make_tensor(in.x.shape(), compute, in.x.device());
  Tensor mean = make_tensor({shape.batch, num_groups}, stats_dtype(in), in.x.device());
  Tensor rstd = make_tensor({shape.batch, num_groups}, stats_dtype(in), in.x.device());
  switch (in.device.type) {
    case DeviceType::CPU:
      cpu::group_norm_forward(in.x, in.weight, in.bias, eps, y, mean, rstd, shape);
      break;
    case DeviceType::CUDA:
      cuda::group_norm_forward(in.x, in.weight, in.bias, eps, y, mean, rstd, shape);
      break;
  }
  record_op(
      op, {in.x, in.weight, in.bias}, {y},
      [x = in.x.detach(), w = detached(in.weight), mean, rstd, shape](const BackwardContext& ctx) {
        const DType compute = x.dtype();
        const Tensor gy = upstream_grad(ctx, compute);
        Tensor gx = output_if(ctx.needs_grad(0), x.shape(), x.dtype(), x.device());
        Tensor gw = output_if(ctx.needs_grad(1), {shape.channels}, x.dtype(), x.device());
        Tensor gb = output_if(ctx.needs_grad(2), {shape.channels}, x.dtype(), x.device());
        switch (x.device().type) {
          case DeviceType::CPU:
            cpu::group_norm_backward(gy, x, mean, rstd, w, gx, gw, gb, shape);
            break;
          case DeviceType::CUDA:
            cuda::group_norm_backward(gy, x, mean, rstd, w, gx, gw, gb, shape);
            break;
        }
        return TensorList{gx, gw, gb};
      });
  return y.to(in.out_dtype);
}

}  // namespace fovea
