// The CUDA half of channel_mean / channel_scale (kernels/cuda/squeeze_excite.h).
#include "engine/ops/cuda/squeeze_excite.h"

#include "engine/ops/cuda/dispatch.h"
#include "engine/ops/dispatch.h"
#include "kernels/cuda/squeeze_excite.h"

namespace fovea::cuda {

namespace {

kernels::SpatialShape spatial_shape(const Shape& shape) {
  kernels::SpatialShape s{.batch = shape.front(), .spatial = 1, .channels = shape.back()};
  for (size_t d = 1; d + 1 < shape.size(); ++d) s.spatial *= shape[d];
  return s;
}

}  // namespace

Tensor spatial_sum(const Tensor& a_in, const Tensor& b_in, double scale) {
  DeviceGuard guard(a_in.device().index);
  const Tensor a = a_in.contiguous();
  const Tensor b = b_in.defined() ? b_in.contiguous() : b_in;
  Shape out_shape(a.dim(), 1);
  out_shape.front() = a.size(0);
  out_shape.back() = a.size(-1);
  Tensor out = make_tensor(out_shape, a.dtype(), a.device());
  const kernels::SpatialShape shape = spatial_shape(a.shape());
  Tensor workspace = make_tensor(
      {std::max<int64_t>(1, kernels::cuda::spatial_sum_workspace(shape))}, DType::f32, a.device());
  visit_cuda_floating(a.dtype(), "channel_mean", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::spatial_sum<T>(data_or_null<T>(a), data_or_null<T>(b), scale,
                                  static_cast<T*>(out.raw_data()),
                                  static_cast<float*>(workspace.raw_data()), shape, stream_for(a));
  });
  return out;
}

Tensor channel_broadcast(const Tensor& x_in, const Tensor& s_in, double scale, const Shape& shape) {
  DeviceGuard guard(s_in.device().index);
  const Tensor x = x_in.defined() ? x_in.contiguous() : x_in;
  const Tensor s = s_in.contiguous();
  Tensor out = make_tensor(shape, s.dtype(), s.device());
  visit_cuda_floating(s.dtype(), "channel_scale", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::channel_broadcast<T>(data_or_null<T>(x), data_or_null<T>(s), scale,
                                        static_cast<T*>(out.raw_data()), spatial_shape(shape),
                                        stream_for(s));
  });
  return out;
}

}  // namespace fovea::cuda
