// Losses: argument checks, the fused kernels (through the CPU and CUDA halves,
// engine/ops/cpu/loss.h and engine/ops/cuda/loss.h), and the reduction. The classification losses
// share one shape: the kernel writes a loss per sample, the op reduces it, and the recorded
// backward asks the kernel for the gradient of the scores given the upstream gradient per sample.
#include "engine/ops/loss.h"

#include <functional>
#include <tuple>
#include <utility>

#include "engine/autocast.h"
#include "engine/autograd.h"
#include "engine/ops/cpu/loss.h"
#include "engine/ops/cuda/loss.h"
#include "engine/ops/dispatch.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/loops.h"
#include "engine/ops/reduction.h"
#include "engine/ops/shape.h"
#include "engine/profile.h"
#include "kernels/loss.h"

namespace fovea {

namespace {

// The dtype of the saved log-sum-exp: f64 on the CPU (as its kernels keep it), f32 on CUDA.
DType lse_dtype(const Tensor& scores) {
  return scores.device().is_cuda() ? DType::f32 : DType::f64;
}

// The scores a loss computes on: f32 under autocast, and never 16-bit (see loss.h).
Tensor loss_input(const Tensor& x, const char* op, const char* what) {
  FOVEA_CHECK(x.defined(), "{}: {} is an undefined tensor", op, what);
  check_floating(x, op, what);
  const Tensor widened = autocast(x, AutocastPolicy::fp32);
  return widened.to(cpu_compute_dtype(widened.dtype()));
}

// A constant (no gradient) floating tensor in `dtype`, contiguous.
Tensor constant_in(const Tensor& t, DType dtype, const char* op, const char* what) {
  check_floating(t, op, what);
  NoGradGuard no_grad;
  return t.detach().to(dtype).contiguous();
}

// The targets of a classification loss over [rows, classes] scores, checked, in the
// layout the kernels read.
struct TargetTensors {
  Tensor index;   // i64 [rows], or undefined
  Tensor probs;   // [rows, classes] in the scores' dtype, or undefined
  Tensor weight;  // [classes] in the scores' dtype, or undefined
  int64_t rows = 0, classes = 0, ignore_index = -100;

  template <typename T>
  kernels::ClassTargets<T> view() const {
    return {.rows = rows,
            .classes = classes,
            .target_index = index.defined() ? index.data<int64_t>() : nullptr,
            .target_probs = probs.defined() ? probs.data<T>() : nullptr,
            .weight = weight.defined() ? weight.data<T>() : nullptr,
            .ignore_index = ignore_index};
  }
};

void check_scores(const Tensor& scores, const char* op, const char* what) {
  FOVEA_CHECK(scores.dim() == 2,
              "{}: {} must be [N, C], got shape {}; flatten any extra dims into N first (for "
              "[N, H, W, C] use reshape({{-1, C}}))",
              op, what, shape_str(scores.shape()));
}

// Class indices [N]: i64 or i32, each in [0, C) or equal to ignore_index; returns them
// as contiguous i64 on their device. The CPU checks at once; CUDA checks in a kernel that
// reports a bad index at the next synchronisation, so no call downloads the targets.
Tensor checked_indices(const Tensor& target, const Tensor& scores, int64_t ignore_index,
                       const char* op, const char* what) {
  const int64_t rows = scores.size(0), classes = scores.size(1);
  FOVEA_CHECK(target.dtype() == DType::i64 || target.dtype() == DType::i32,
              "{}: target must be class indices (i64 or i32), got {} of shape {}", op,
              dtype_name(target.dtype()), shape_str(target.shape()));
  FOVEA_CHECK(target.shape() == Shape{rows},
              "{}: target has shape {} but {} have batch {} ({}); expected class indices of "
              "shape [{}]",
              op, shape_str(target.shape()), what, rows, shape_str(scores.shape()), rows);
  NoGradGuard no_grad;
  Tensor index = target.to(DType::i64).contiguous();
  switch (index.device().type) {
    case DeviceType::CPU:
      cpu::check_class_indices(index, classes, ignore_index, op);
      break;
    case DeviceType::CUDA:
      cuda::check_class_indices(index, classes, ignore_index, op);
      break;
  }
  return index;
}

// weight [C], or undefined.
Tensor checked_class_weight(const Tensor& weight, const Tensor& scores, const char* op,
                            const char* what) {
  if (!weight.defined()) return Tensor();
  FOVEA_CHECK(weight.shape() == Shape{scores.size(1)}, "{}: {} has shape {}, expected [{}]", op,
              what, shape_str(weight.shape()), scores.size(1));
  return constant_in(weight, scores.dtype(), op, what);
}

TargetTensors class_targets(const Tensor& scores, const Tensor& target, int64_t ignore_index,
                            const char* op, const char* what) {
  TargetTensors t;
  t.rows = scores.size(0);
  t.classes = scores.size(1);
  t.ignore_index = ignore_index;
  t.index = checked_indices(target, scores, ignore_index, op, what);
  return t;
}

// Gradient of the scores from the contiguous upstream gradient of the reduced loss.
using ScoresGrad =
    std::function<Tensor(const Tensor& grad_loss, int64_t grad_stride, double scale)>;

// What Reduction::mean divides by: the sum of weight[target] over the non-ignored samples
// (their count without weights), or N for soft targets. On the CPU it is a number. On
// CUDA it depends on the targets, which stay on the device: it is a device scalar made by
// ops there, and the backward multiplies by its reciprocal instead of passing a scale.
struct MeanDenominator {
  double value = 1.0;
  Tensor on_device;  // f64 [] on the scores' device, or undefined
};

MeanDenominator mean_denominator(const TargetTensors& targets, DType dtype, const char* op) {
  if (targets.probs.defined()) return {.value = static_cast<double>(targets.rows)};
  if (targets.index.device().is_cpu()) {
    return {.value = visit_floating(dtype, op, [&](auto tag) {
              using T = decltype(tag);
              return kernels::cpu::target_weight_sum<T>(targets.view<T>());
            })};
  }
  NoGradGuard no_grad;
  const Tensor valid = ne(targets.index, static_cast<double>(targets.ignore_index));
  if (!targets.weight.defined()) return {.on_device = sum(valid.to(DType::f64))};
  // weight[target] for the valid rows; ignored rows look up class 0 and count for nothing.
  const Tensor safe_index = where(valid, targets.index, 0.0);
  const Tensor picked = index_select(targets.weight.to(DType::f64), 0, safe_index);
  return {.on_device = sum(mul(picked, valid.to(DType::f64)))};
}

// Reduces the per-sample losses and records the backward node on `scores`.
// `denominator` gives what Reduction::mean divides by (only called for the mean).
Tensor reduce_and_record(const char* op, const Tensor& scores, const Tensor& per_sample,
                         Reduction reduction,
                         const std::function<MeanDenominator()>& mean_denominator,
                         ScoresGrad scores_grad) {
  const MeanDenominator denominator =
      reduction == Reduction::mean ? mean_denominator() : MeanDenominator{};
  Tensor out, reciprocal_on_device;
  {
    NoGradGuard no_grad;
    switch (reduction) {
      case Reduction::none:
        out = per_sample;
        break;
      case Reduction::sum:
        out = sum(per_sample);
        break;
      case Reduction::mean:
        if (denominator.on_device.defined()) {
          reciprocal_on_device = reciprocal(denominator.on_device).to(per_sample.dtype());
          out = mul(sum(per_sample), reciprocal_on_device);
        } else {
          out = div(sum(per_sample), denominator.value);
        }
        break;
    }
  }
  const int64_t grad_stride = reduction == Reduction::none ? 1 : 0;
  const double scale = reduction == Reduction::mean && !reciprocal_on_device.defined()
                           ? 1.0 / denominator.value
                           : 1.0;
  record_op(op, {scores}, {out},
            [dtype = scores.dtype(), grad_stride, scale, reciprocal_on_device,
             scores_grad](const BackwardContext& ctx) {
              Tensor g = ctx.grad().to(dtype).contiguous();
              if (reciprocal_on_device.defined()) g = mul(g, reciprocal_on_device.to(dtype));
              return TensorList{scores_grad(g, grad_stride, scale)};
            });
  return out;
}

// Whether `from` broadcasts to `to` without growing it.
bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  const size_t lead = to.size() - from.size();
  for (size_t d = 0; d < from.size(); ++d) {
    if (from[d] != 1 && from[d] != to[lead + d]) return false;
  }
  return true;
}

}  // namespace

Tensor cross_entropy(const Tensor& logits_in, const Tensor& target,
                     const CrossEntropyOptions& options) {
  const profile::OpScope scope("cross_entropy", logits_in, target);
  constexpr const char* op = "cross_entropy";
  const Tensor logits = loss_input(logits_in, op, "logits");
  FOVEA_CHECK(target.defined(), "{}: target is an undefined tensor", op);
  const Device device = common_device(op, {&logits, &target, &options.weight});
  check_scores(logits, op, "logits");
  const double eps = options.label_smoothing;
  FOVEA_CHECK(eps >= 0.0 && eps <= 1.0, "{}: label_smoothing must be in [0, 1], got {}", op, eps);

  FOVEA_CHECK(
      is_floating(target.dtype()) || target.dtype() == DType::i64 || target.dtype() == DType::i32,
      "{}: target must be class indices (i64 or i32) or class probabilities (floating), "
      "got {} of shape {}",
      op, dtype_name(target.dtype()), shape_str(target.shape()));
  TargetTensors targets;
  if (is_floating(target.dtype())) {
    FOVEA_CHECK(target.shape() == logits.shape(),
                "{}: soft target (class probabilities) has shape {}, expected the logits' shape {}",
                op, shape_str(target.shape()), shape_str(logits.shape()));
    FOVEA_CHECK(options.ignore_index < 0,
                "{}: ignore_index ({}) is not supported with class-probability targets", op,
                options.ignore_index);
    targets.rows = logits.size(0);
    targets.classes = logits.size(1);
    targets.probs = constant_in(target, logits.dtype(), op, "target");
  } else {
    targets = class_targets(logits, target, options.ignore_index, op, "logits");
  }
  targets.weight = checked_class_weight(options.weight, logits, op, "weight");

  const Tensor z = logits.detach().contiguous();
  Tensor per_sample = make_tensor({targets.rows}, logits.dtype(), logits.device());
  Tensor lse = make_tensor({targets.rows}, lse_dtype(logits), logits.device());
  switch (device.type) {
    case DeviceType::CPU:
      cpu::cross_entropy_forward(targets.index, targets.probs, targets.weight, targets.ignore_index,
                                 eps, z, per_sample, lse);
      break;
    case DeviceType::CUDA:
      cuda::cross_entropy_forward(targets.index, targets.probs, targets.weight,
                                  targets.ignore_index, eps, z, per_sample, lse);
      break;
  }
  return reduce_and_record(
      op, logits, per_sample, options.reduction,
      [&] { return mean_denominator(targets, logits.dtype(), op); },
      [targets, eps, z, lse](const Tensor& g, int64_t stride, double scale) {
        Tensor grad = make_tensor(z.shape(), z.dtype(), z.device());
        switch (z.device().type) {
          case DeviceType::CPU:
            cpu::cross_entropy_backward(targets.index, targets.probs, targets.weight,
                                        targets.ignore_index, eps, z, lse, g, stride, scale, grad);
            break;
          case DeviceType::CUDA:
            cuda::cross_entropy_backward(targets.index, targets.probs, targets.weight,
                                         targets.ignore_index, eps, z, lse, g, stride, scale, grad);
            break;
        }
        return grad;
      });
}

Tensor nll_loss(const Tensor& log_probs_in, const Tensor& target, const Tensor& weight,
                int64_t ignore_index, Reduction reduction) {
  const profile::OpScope scope("nll_loss", log_probs_in, target);
  constexpr const char* op = "nll_loss";
  const Tensor log_probs = loss_input(log_probs_in, op, "log_probs");
  FOVEA_CHECK(target.defined(), "{}: target is an undefined tensor", op);
  const Device device = common_device(op, {&log_probs, &target, &weight});
  check_scores(log_probs, op, "log_probs");
  TargetTensors targets = class_targets(log_probs, target, ignore_index, op, "log_probs");
  targets.weight = checked_class_weight(weight, log_probs, op, "weight");

  const Tensor lp = log_probs.detach().contiguous();
  Tensor per_sample = make_tensor({targets.rows}, lp.dtype(), lp.device());
  switch (device.type) {
    case DeviceType::CPU:
      cpu::nll_forward(targets.index, targets.weight, targets.ignore_index, lp, per_sample);
      break;
    case DeviceType::CUDA:
      cuda::nll_forward(targets.index, targets.weight, targets.ignore_index, lp, per_sample);
      break;
  }
  return reduce_and_record(
      op, log_probs, per_sample, reduction,
      [&] { return mean_denominator(targets, lp.dtype(), op); },
      [targets, shape = lp.shape(), dtype = lp.dtype()](const Tensor& g, int64_t stride,
                                                        double scale) {
        Tensor grad = make_tensor(shape, dtype, g.device());
        switch (g.device().type) {
          case DeviceType::CPU:
            cpu::nll_backward(targets.index, targets.weight, targets.ignore_index, g, stride, scale,
                              grad);
            break;
          case DeviceType::CUDA:
            cuda::nll_backward(targets.index, targets.weight, targets.ignore_index, g, stride,
                               scale, grad);
            break;
        }
        return grad;
      });
}

Tensor focal_loss(const Tensor& logits_in, const Tensor& target, const FocalLossOptions& options) {
  const profile::OpScope scope("focal_loss", logits_in, target);
  constexpr const char* op = "focal_loss";
  const Tensor logits = loss_input(logits_in, op, "logits");
  FOVEA_CHECK(target.defined(), "{}: target is an undefined tensor", op);
  const Device device = common_device(op, {&logits, &target, &options.alpha});
  check_scores(logits, op, "logits");
  FOVEA_CHECK(options.gamma >= 0.0, "{}: gamma must be >= 0, got {}", op, options.gamma);
  const TargetTensors targets = class_targets(logits, target, options.ignore_index, op, "logits");

  Tensor alpha;
  kernels::FocalParams params{.gamma = options.gamma, .alpha_size = 0};
  if (options.alpha.defined()) {
    const int64_t classes = logits.size(1);
    FOVEA_CHECK(options.alpha.numel() == 1 || options.alpha.shape() == Shape{classes},
                "{}: alpha has shape {}, expected a single element or [{}]", op,
                shape_str(options.alpha.shape()), classes);
    alpha = constant_in(options.alpha, logits.dtype(), op, "alpha").reshape({-1});
    params.alpha_size = alpha.numel();
  }

  const Tensor z = logits.detach().contiguous();
  Tensor per_sample = make_tensor({targets.rows}, z.dtype(), z.device());
  Tensor lse = make_tensor({targets.rows}, lse_dtype(z), z.device());
  switch (device.type) {
    case DeviceType::CPU:
      cpu::focal_forward(targets.index, targets.ignore_index, params, alpha, z, per_sample, lse);
      break;
    case DeviceType::CUDA:
      cuda::focal_forward(targets.index, targets.ignore_index, params, alpha, z, per_sample, lse);
      break;
  }
  // The mean counts the non-ignored samples: the class-weight sum with no weights.
  return reduce_and_record(
      op, logits, per_sample, options.reduction,
      [&] { return mean_denominator(targets, logits.dtype(), op); },
      [targets, params, alpha, z, lse](const Tensor& g, int64_t stride, double scale) {
        Tensor grad = make_tensor(z.shape(), z.dtype(), z.device());
        switch (z.device().type) {
          case DeviceType::CPU:
            cpu::focal_backward(targets.index, targets.ignore_index, params, alpha, z, lse, g,
                                stride, scale, grad);
            break;
          case DeviceType::CUDA:
            cuda::focal_backward(targets.index, targets.ignore_index, params, alpha, z, lse, g,
                                 stride, scale, grad);
            break;
        }
        return grad;
      });
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits_in, const Tensor& target,
                                        const Tensor& weight, const Tensor& pos_weight,
                                        Reduction reduction) {
  const profile::OpScope scope("binary_cross_entropy_with_logits", logits_in, target);
  constexpr const char* op = "binary_cross_entropy_with_logits";
  const Tensor logits = loss_input(logits_in, op, "logits");
  FOVEA_CHECK(target.defined(), "{}: target is an undefined tensor", op);
  const Device device = common_device(op, {&logits, &target, &weight, &pos_weight});
  const Shape& shape = logits.shape();
  FOVEA_CHECK(target.shape() == shape, "{}: target has shape {}, expected the logits' shape {}", op,
              shape_str(target.shape()), shape_str(shape));
  // Absent weights are a broadcast 1, so one kernel covers every combination.
  auto operand = [&](const Tensor& t, const char* what) {
    if (!t.defined()) return scalar_tensor(1.0, logits.dtype(), logits.device());
    FOVEA_CHECK(broadcasts_to(t.shape(), shape),
                "{}: {} of shape {} does not broadcast to the logits' shape {}", op, what,
                shape_str(t.shape()), shape_str(shape));
    return constant_in(t, logits.dtype(), op, what);
  };
  const Tensor t = constant_in(target, logits.dtype(), op, "target");
  const Tensor w = operand(weight, "weight"), pw = operand(pos_weight, "pos_weight");
  const Tensor x = logits.detach();

  Tensor per_element = make_tensor(shape, x.dtype(), x.device());
  const kernels::Loop<5> loop = loop_over<5>(shape, {&per_element, &x, &t, &w, &pw});
  switch (device.type) {
    case DeviceType::CPU:
      cpu::bce_with_logits_forward(loop, per_element, x, t, w, pw);
      break;
    case DeviceType::CUDA:
      cuda::bce_with_logits_forward(loop, per_element, x, t, w, pw);
      break;
  }
  return reduce_and_record(
      op, logits, per_element, reduction,
      [&] { return MeanDenominator{.value = static_cast<double>(logits.numel())}; },
      // The upstream gradient g is 0-dim (sum, mean) or has the logits' shape (none); the
      // loop broadcasts either, so the stride argument is not needed.
      [x, t, w, pw](const Tensor& g, int64_t, double scale) {
        Tensor grad = make_tensor(x.shape(), x.dtype(), x.device());
        const kernels::Loop<6> loop = loop_over<6>(x.shape(), {&grad, &g, &x, &t, &w, &pw});
        switch (x.device().type) {
          case DeviceType::CPU:
            cpu::bce_with_logits_backward(loop, scale, grad, g, x, t, w, pw);
            break;
          case DeviceType::CUDA:
            cuda::bce_with_logits_backward(loop, scale, grad, g, x, t, w, pw);
            break;
        }
        return grad;
      });
}

// Composed of differentiable ops (sub, mul, sum/mean) rather than a kernel: the gradient
// reaches both operands for free and there is nothing to fuse that matters.
Tensor mse_loss(const Tensor& input_in, const Tensor& target_in, Reduction reduction) {
  const profile::OpScope scope("mse_loss", input_in, target_in);
  constexpr const char* op = "mse_loss";
  const Tensor input = loss_input(input_in, op, "input");
  const Tensor target = loss_input(target_in, op, "target");
  FOVEA_CHECK(input.shape() == target.shape(), "{}: input has shape {} but target has shape {}", op,
              shape_str(input.shape()), shape_str(target.shape()));
  const Tensor diff = sub(input, target);
  const Tensor squared = mul(diff, diff);
  switch (reduction) {
    case Reduction::none:
      return squared;
    case Reduction::sum:
      return sum(squared);
    case Reduction::mean:
      break;
  }
  return mean(squared);
}

}  // namespace fovea
