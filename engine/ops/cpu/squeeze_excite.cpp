// The CPU half of channel_mean / channel_scale: widening, then the kernels of
// kernels/cpu/squeeze_excite.cpp.
#include "engine/ops/cpu/squeeze_excite.h"

#include "engine/autograd.h"
#include "engine/ops/dispatch.h"
#include "kernels/squeeze_excite.h"

namespace fovea::cpu {

namespace {

kernels::SpatialShape spatial_shape(const Shape& shape) {
  kernels::SpatialShape s{.batch = shape.front(), .spatial = 1, .channels = shape.back()};
  for (size_t d = 1; d + 1 < shape.size(); ++d) s.spatial *= shape[d];
  return s;
}

Tensor widened(const Tensor& t) {
  return t.defined() ? t.to(cpu_compute_dtype(t.dtype())).contiguous() : t;
}

}  // namespace

Tensor spatial_sum(const Tensor& a_in, const Tensor& b_in, double scale) {
  NoGradGuard no_grad;
  const Tensor a = widened(a_in), b = widened(b_in);
  Shape out_shape(a.dim(), 1);
  out_shape.front() = a.size(0);
  out_shape.back() = a.size(-1);
  Tensor out = make_tensor(out_shape, a.dtype(), a.device());
  visit_floating(a.dtype(), "channel_mean", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::spatial_sum<T>(a.data<T>(), data_or_null<T>(b), scale, out.data<T>(),
                                 spatial_shape(a.shape()));
  });
  return out.to(a_in.dtype());
}

Tensor channel_broadcast(const Tensor& x_in, const Tensor& s_in, double scale, const Shape& shape) {
  NoGradGuard no_grad;
  const Tensor x = widened(x_in), s = widened(s_in);
  Tensor out = make_tensor(shape, s.dtype(), s.device());
  visit_floating(s.dtype(), "channel_scale", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::channel_broadcast<T>(data_or_null<T>(x), s.data<T>(), scale, out.data<T>(),
                                       spatial_shape(shape));
  });
  return out.to(s_in.dtype());
}

}  // namespace fovea::cpu
