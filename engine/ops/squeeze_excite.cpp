// Squeeze-and-excitation ops: one graph node each on every device (the CPU reference runs
// the graph the GPU runs), with one device switch each way into
// engine/ops/cpu/squeeze_excite.cpp or engine/ops/cuda/squeeze_excite.cpp.
#include "engine/ops/squeeze_excite.h"

#include "engine/autocast.h"
#include "engine/autograd.h"
#include "engine/ops/cpu/squeeze_excite.h"
#include "engine/ops/cuda/squeeze_excite.h"
#include "engine/ops/dispatch.h"
#include "engine/ops/elementwise.h"
#include "engine/profile.h"

namespace fovea {

namespace {

// [N, 1, ..., 1, C] for an input of x's rank.
Shape pooled_shape(const Tensor& x) {
  Shape shape(x.dim(), 1);
  shape.front() = x.size(0);
  shape.back() = x.size(-1);
  return shape;
}

void check_map(const Tensor& x, const char* op) {
  FOVEA_CHECK(x.defined(), "{}: input is an undefined tensor", op);
  FOVEA_CHECK(x.dim() >= 3,
              "{}: input must be channels-last with at least 3 dims ([N, H, W, C]), got shape {}",
              op, shape_str(x.shape()));
  check_floating(x, op, "input");
}

// scale * sum over the middle dims of a (times b when defined), on a's device.
Tensor spatial_sum(const Tensor& a, const Tensor& b, double scale) {
  NoGradGuard no_grad;
  switch (a.device().type) {
    case DeviceType::CPU:
      return cpu::spatial_sum(a, b, scale);
    case DeviceType::CUDA:
      return cuda::spatial_sum(a, b, scale);
  }
  fail("channel_mean: unknown device {}", a.device().str());
}

// s[n, c] broadcast to `shape` (times x when defined, times scale), on s's device.
Tensor channel_broadcast(const Tensor& x, const Tensor& s, double scale, const Shape& shape) {
  NoGradGuard no_grad;
  switch (s.device().type) {
    case DeviceType::CPU:
      return cpu::channel_broadcast(x, s, scale, shape);
    case DeviceType::CUDA:
      return cuda::channel_broadcast(x, s, scale, shape);
  }
  fail("channel_scale: unknown device {}", s.device().str());
}

}  // namespace

Tensor channel_mean(const Tensor& x_in) {
  const profile::OpScope scope("channel_mean", x_in);
  constexpr const char* op = "channel_mean";
  check_map(x_in, op);
  const Tensor x = autocast(x_in, AutocastPolicy::fp32);  // as mean() does
  int64_t spatial = 1;
  for (int64_t d = 1; d + 1 < x.dim(); ++d) spatial *= x.size(d);
  const double inv = 1.0 / static_cast<double>(spatial);
  Tensor out = spatial_sum(x.detach(), Tensor(), inv);
  record_op(op, {x}, {out},
            [shape = x.shape(), dtype = x.dtype(), inv](const BackwardContext& ctx) {
              return TensorList{channel_broadcast(Tensor(), ctx.grad().to(dtype), inv, shape)};
            });
  return out;
}

Tensor channel_scale(const Tensor& x, const Tensor& scale) {
  const profile::OpScope scope("channel_scale", x, scale);
  constexpr const char* op = "channel_scale";
  check_map(x, op);
  FOVEA_CHECK(scale.defined(), "{}: scale is an undefined tensor", op);
  check_floating(scale, op, "scale");
  const int64_t batch = x.size(0), channels = x.size(-1);
  bool per_channel = scale.dim() >= 2 && scale.size(0) == batch && scale.size(-1) == channels;
  for (int64_t d = 1; per_channel && d + 1 < scale.dim(); ++d) per_channel = scale.size(d) == 1;
  FOVEA_CHECK(per_channel && (scale.dim() == 2 || scale.dim() == x.dim()),
              "{}: scale has shape {}, expected [{}, {}] or [{}, 1, ..., 1, {}] for input {}", op,
              shape_str(scale.shape()), batch, channels, batch, channels, shape_str(x.shape()));
  common_device(op, {&x, &scale});
  const Tensor broadcast = scale.reshape(pooled_shape(x));
  // The fused node takes one dtype; mixed dtypes go through mul's type promotion (on
  // every device alike).
  if (x.dtype() != scale.dtype()) return mul(x, broadcast);
  Tensor out = channel_broadcast(x.detach(), broadcast.detach(), 1.0, x.shape());
  record_op(op, {x, broadcast}, {out},
            [x = x.detach(), s = broadcast.detach()](const BackwardContext& ctx) {
              const Tensor g = ctx.grad().to(x.dtype());
              Tensor gx = ctx.needs_grad(0) ? channel_broadcast(g, s, 1.0, x.shape()) : Tensor();
              Tensor gs = ctx.needs_grad(1) ? spatial_sum(g, x, 1.0) : Tensor();
              return TensorList{gx, gs};
            });
  return out;
}

}  // namespace fovea
