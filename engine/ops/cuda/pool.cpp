// The CUDA half of the pooling ops: dtype dispatch and launch on the input's stream. The
// windows travel as PoolAxis values in the kernel arguments (computed on the device), so
// no call copies anything from the host.
#include "engine/ops/cuda/pool.h"

#include "engine/ops/cuda/dispatch.h"
#include "engine/ops/cuda/storage.h"
#include "engine/ops/pool.h"
#include "kernels/cuda/pool.h"

namespace fovea::cuda {

namespace {

using kernels::PoolAxis;
using kernels::PoolShape;

}  // namespace

void max_pool2d_forward(const PoolShape& shape, const PoolAxis& rows, const PoolAxis& cols,
                        const Tensor& x_in, Tensor& y, Tensor& indices) {
  DeviceGuard guard(x_in.device().index);
  const Tensor x = x_in.contiguous();
  y = make_tensor(pool_tensor_shape(shape, true), x.dtype(), x.device());
  indices = make_tensor(pool_tensor_shape(shape, true), DType::i64, x.device());
  visit_cuda_floating(x.dtype(), "max_pool2d", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::max_pool2d_forward<T>(shape, rows, cols, cuda_data<T>(x), cuda_data<T>(y),
                                         cuda_data<int64_t>(indices), stream_for(x));
  });
}

Tensor max_pool2d_backward(const PoolShape& shape, const PoolAxis& rows, const PoolAxis& cols,
                           const Tensor& grad_y, const Tensor& indices) {
  DeviceGuard guard(grad_y.device().index);
  const Tensor g = grad_y.contiguous(), idx = indices.contiguous();
  Tensor grad_x = make_tensor(pool_tensor_shape(shape, false), g.dtype(), g.device());
  visit_cuda_floating(g.dtype(), "max_pool2d backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::max_pool2d_backward<T>(shape, rows, cols, cuda_data<T>(g),
                                          cuda_data<int64_t>(idx), cuda_data<T>(grad_x),
                                          stream_for(g));
  });
  return grad_x;
}

Tensor avg_pool2d_forward(const PoolShape& shape, const PoolAxis& rows, const PoolAxis& cols,
                          const Tensor& x_in) {
  DeviceGuard guard(x_in.device().index);
  const Tensor x = x_in.contiguous();
  Tensor y = make_tensor(pool_tensor_shape(shape, true), x.dtype(), x.device());
  visit_cuda_floating(x.dtype(), "avg_pool2d", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::avg_pool2d_forward<T>(shape, rows, cols, cuda_data<T>(x), cuda_data<T>(y),
                                         stream_for(x));
  });
  return y;
}

Tensor avg_pool2d_backward(const PoolShape& shape, const PoolAxis& rows, const PoolAxis& cols,
                           const Tensor& grad_y) {
  DeviceGuard guard(grad_y.device().index);
  const Tensor g = grad_y.contiguous();
  Tensor grad_x = make_tensor(pool_tensor_shape(shape, false), g.dtype(), g.device());
  visit_cuda_floating(g.dtype(), "avg_pool2d backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::avg_pool2d_backward<T>(shape, rows, cols, cuda_data<T>(g), cuda_data<T>(grad_x),
                                          stream_for(g));
  });
  return grad_x;
}

}  // namespace fovea::cuda
