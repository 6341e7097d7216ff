// interpolate (engine/ops/interpolate.h): argument checks and the output size as PyTorch
// computes them, the backward record, and one device switch into
// engine/ops/cpu/interpolate.cpp or engine/ops/cuda/interpolate.cpp.
#include "engine/ops/interpolate.h"

#include <cmath>

#include "engine/autograd.h"
#include "engine/ops/cpu/interpolate.h"
#include "engine/ops/cuda/interpolate.h"
#include "engine/ops/dispatch.h"
#include "engine/profile.h"
#include "kernels/shape.h"

namespace fovea {

namespace {

using kernels::InterpolateMode;
using kernels::InterpolateShape;

InterpolateMode parse_mode(const std::string& mode) {
  if (mode == "nearest") return InterpolateMode::nearest;
  if (mode == "bilinear") return InterpolateMode::bilinear;
  if (mode == "bicubic") return InterpolateMode::bicubic;
  fail("interpolate: mode must be 'nearest', 'bilinear' or 'bicubic', got '{}'", mode);
}

InterpolateShape plan(const Tensor& x, const InterpolateOptions& options) {
  FOVEA_CHECK(x.dim() == 4, "interpolate: expected an NHWC tensor [N, H, W, C], got shape {}",
              shape_str(x.shape()));
  check_floating(x, "interpolate", "input");
  InterpolateShape s;
  s.mode = parse_mode(options.mode);
  FOVEA_CHECK(!(options.align_corners && s.mode == InterpolateMode::nearest),
              "interpolate: align_corners applies to bilinear and bicubic only, not nearest");
  s.align_corners = options.align_corners;
  FOVEA_CHECK(options.size.has_value() != options.scale_factor.has_value(),
              "interpolate: give exactly one of size and scale_factor (got {})",
              options.size ? "both" : "neither");
  s.batch = x.size(0);
  s.in_h = x.size(1);
  s.in_w = x.size(2);
  s.channels = x.size(3);
  FOVEA_CHECK(s.in_h > 0 && s.in_w > 0, "interpolate: input of shape {} has an empty spatial dim",
              shape_str(x.shape()));
  if (options.size) {
    s.out_h = (*options.size)[0];
    s.out_w = (*options.size)[1];
    FOVEA_CHECK(s.out_h > 0 && s.out_w > 0,
                "interpolate: output size [{}, {}] must be positive (input of shape {})", s.out_h,
                s.out_w, shape_str(x.shape()));
  } else {
    const auto [factor_h, factor_w] = *options.scale_factor;
    FOVEA_CHECK(std::isfinite(factor_h) && std::isfinite(factor_w) && factor_h > 0 && factor_w > 0,
                "interpolate: scale_factor ({}, {}) must be positive and finite", factor_h,
                factor_w);
    // PyTorch truncates the product in double.
    s.out_h = static_cast<int64_t>(static_cast<double>(s.in_h) * factor_h);
    s.out_w = static_cast<int64_t>(static_cast<double>(s.in_w) * factor_w);
    FOVEA_CHECK(s.out_h > 0 && s.out_w > 0,
                "interpolate: scale_factor ({}, {}) gives an empty output [{}, {}] for input of "
                "shape {}",
                factor_h, factor_w, s.out_h, s.out_w, shape_str(x.shape()));
    s.scale_h = factor_h;
    s.scale_w = factor_w;
  }
  return s;
}

// Records nothing; outputs in the input's dtype.
Tensor interpolate_raw(const Tensor& x, const InterpolateShape& s) {
  switch (x.device().type) {
    case DeviceType::CPU:
      return cpu::interpolate(x, s);
    case DeviceType::CUDA:
      return cuda::interpolate(x, s);
  }
  fail("interpolate: unknown device {}", x.device().str());
}

Tensor interpolate_backward_raw(const Tensor& grad_in, const InterpolateShape& s, DType dtype) {
  NoGradGuard no_grad;
  const Tensor grad = grad_in.to(dtype);
  switch (grad.device().type) {
    case DeviceType::CPU:
      return cpu::interpolate_backward(grad, s);
    case DeviceType::CUDA:
      return cuda::interpolate_backward(grad, s);
  }
  fail("interpolate backward: unknown device {}", grad.device().str());
}

}  // namespace

Tensor interpolate(const Tensor& x, const InterpolateOptions& options) {
  const profile::OpScope scope("interpolate", x);
  const InterpolateShape s = plan(x, options);
  Tensor out;
  {
    NoGradGuard no_grad;
    out = interpolate_raw(x.detach(), s);
  }
  record_op("interpolate", {x}, {out}, [s, dtype = x.dtype()](const BackwardContext& ctx) {
    return TensorList{interpolate_backward_raw(ctx.grad(), s, dtype)};
  });
  return out;
}

}  // namespace fovea
