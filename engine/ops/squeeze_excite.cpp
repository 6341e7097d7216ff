// Squeeze-and-excitation ops: the CPU path is the composition the SE layer used
// (mean over the spatial dims, broadcasting mul), so its results and graph are unchanged;
// on CUDA each op is one fused kernel with its own backward node.
#include "engine/ops/squeeze_excite.h"

#include "engine/autocast.h"
#include "engine/autograd.h"
#include "engine/ops/dispatch.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/reduction.h"

#ifdef FOVEA_HAS_CUDA
#include "engine/ops/cuda/squeeze_excite.h"
#endif

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

#ifdef FOVEA_HAS_CUDA
Tensor channel_mean_cuda(const Tensor& x_in) {
  const Tensor x = autocast(x_in, AutocastPolicy::fp32);  // as mean() does
  int64_t spatial = 1;
  for (int64_t d = 1; d + 1 < x.dim(); ++d) spatial *= x.size(d);
  const double inv = 1.0 / static_cast<double>(spatial);
  Tensor out = spatial_sum_cuda(x, Tensor(), inv);
  record_op("channel_mean", {x}, {out},
            [shape = x.shape(), dtype = x.dtype(), inv](const BackwardContext& ctx) {
              return TensorList{channel_broadcast_cuda(Tensor(), ctx.grad().to(dtype), inv, shape)};
            });
  return out;
}

// scale is already [N, 1, ..., 1, C] and of x's dtype.
Tensor channel_scale_cuda(const Tensor& x, const Tensor& scale) {
  Tensor out = channel_broadcast_cuda(x, scale, 1.0, x.shape());
  record_op("channel_scale", {x, scale}, {out},
            [x = x.detach(), s = scale.detach()](const BackwardContext& ctx) {
              const Tensor g = ctx.grad().to(x.dtype());
              Tensor gx =
                  ctx.needs_grad(0) ? channel_broadcast_cuda(g, s, 1.0, x.shape()) : Tensor();
              Tensor gs = ctx.needs_grad(1) ? spatial_sum_cuda(g, x, 1.0) : Tensor();
              return TensorList{gx, gs};
            });
  return out;
}
#endif

}  // namespace

Tensor channel_mean(const Tensor& x) {
  constexpr const char* op = "channel_mean";
  check_map(x, op);
#ifdef FOVEA_HAS_CUDA
  if (on_cuda(op, {&x})) return channel_mean_cuda(x);
#endif
  check_cpu(op, {&x});
  Dims dims;
  for (int64_t d = 1; d + 1 < x.dim(); ++d) dims.push_back(d);
  return mean(x, dims, /*keepdim=*/true);
}

Tensor channel_scale(const Tensor& x, const Tensor& scale) {
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
  const Tensor broadcast = scale.reshape(pooled_shape(x));
#ifdef FOVEA_HAS_CUDA
  // The fused kernel takes one dtype; mixed dtypes go through mul's type promotion.
  if (on_cuda(op, {&x, &scale}) && x.dtype() == scale.dtype()) {
    return channel_scale_cuda(x, broadcast);
  }
  if (on_cuda(op, {&x, &scale})) return mul(x, broadcast);
#endif
  check_cpu(op, {&x, &scale});
  return mul(x, broadcast);
}

}  // namespace fovea
