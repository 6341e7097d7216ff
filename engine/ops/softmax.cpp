// Softmax and log-softmax: the forward on the input brought to a contiguous
// [outer, dim, inner] block (no transposition needed for any dim) through the CPU or CUDA
// half (engine/ops/cpu/softmax.h, engine/ops/cuda/softmax.h), the backward from the saved
// output alone.
#include "engine/ops/softmax.h"

#include "engine/autocast.h"
#include "engine/autograd.h"
#include "engine/ops/cpu/softmax.h"
#include "engine/ops/cuda/softmax.h"
#include "engine/ops/dispatch.h"
#include "engine/profile.h"
#include "kernels/softmax.h"

namespace fovea {

namespace {

kernels::SoftmaxShape softmax_shape(const Shape& shape, int64_t dim) {
  kernels::SoftmaxShape s;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    (d < dim ? s.outer : d == dim ? s.dim : s.inner) *= shape[d];
  }
  return s;
}

Tensor softmax_backward_raw(const Tensor& y, const Tensor& grad_y, int64_t dim, bool log,
                            const char* name) {
  const Tensor dy = grad_y.to(y.dtype()).contiguous();
  const Device device = common_device(name, {&y, &dy});
  Tensor dx = make_tensor(y.shape(), y.dtype(), device);
  const kernels::SoftmaxShape shape = softmax_shape(y.shape(), dim);
  switch (device.type) {
    case DeviceType::CPU:
      cpu::softmax_backward(shape, log, y, dy, dx);
      break;
    case DeviceType::CUDA:
      cuda::softmax_backward(shape, log, y, dy, dx);
      break;
  }
  return dx;
}

Tensor softmax_op(const Tensor& x_in, int64_t dim_in, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  check_floating(x_in, name, "input");
  const Tensor x = autocast(x_in, AutocastPolicy::fp32);
  const Device device = common_device(name, {&x});
  // The CUDA kernels compute f16/bf16 natively (f32 sums), so there is no widening.
  const DType compute = device.is_cuda() ? x.dtype() : cpu_compute_dtype(x.dtype());
  // f16/bf16 outside autocast: compute in f32 through differentiable casts.
  if (compute != x.dtype()) return softmax_op(x.to(compute), dim_in, log).to(x.dtype());

  const int64_t dim = x.dim() == 0 ? 0 : normalize_dim(dim_in, x.dim(), name);
  const Tensor input = x.contiguous();
  Tensor y = make_tensor(x.shape(), x.dtype(), device);
  const kernels::SoftmaxShape shape = softmax_shape(x.shape(), dim);
  switch (device.type) {
    case DeviceType::CPU:
      cpu::softmax_forward(shape, log, input, y);
      break;
    case DeviceType::CUDA:
      cuda::softmax_forward(shape, log, input, y);
      break;
  }
  record_op(name, {x}, {y}, [saved = y.detach(), dim, log, name](const BackwardContext& ctx) {
    return TensorList{softmax_backward_raw(saved, ctx.grad(), dim, log, name)};
  });
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) {
  const profile::OpScope scope("softmax", x);
  return softmax_op(x, dim, false);
}
Tensor log_softmax(const Tensor& x, int64_t dim) {
  const profile::OpScope scope("log_softmax", x);
  return softmax_op(x, dim, true);
}

}  // namespace fovea
