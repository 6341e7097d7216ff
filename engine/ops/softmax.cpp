// Softmax and log-softmax: the forward through kernels/cpu/softmax.cpp on the input
// brought to a contiguous [outer, dim, inner] block (no transposition needed for any dim),
// the backward from the saved output alone.
#include "engine/ops/softmax.h"

#include "engine/autocast.h"
#include "engine/autograd.h"
#include "engine/ops/dispatch.h"
#include "kernels/softmax.h"

#ifdef FOVEA_HAS_CUDA
#include "engine/ops/cuda/softmax.h"
#endif

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
  Tensor dx = make_tensor(y.shape(), y.dtype(), y.device());
#ifdef FOVEA_HAS_CUDA
  if (on_cuda(name, {&y, &dy})) {
    softmax_backward_cuda(softmax_shape(y.shape(), dim), log, y, dy, dx);
    return dx;
  }
#endif
  visit_floating(y.dtype(), name, [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::softmax_backward<T>(softmax_shape(y.shape(), dim), log, y.data<T>(), dy.data<T>(),
                                      dx.data<T>());
  });
  return dx;
}

Tensor softmax_op(const Tensor& x_in, int64_t dim_in, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  check_floating(x_in, name, "input");
  const Tensor x = autocast(x_in, AutocastPolicy::fp32);
#ifdef FOVEA_HAS_CUDA
  // The CUDA kernels compute f16/bf16 natively (f32 sums), so there is no widening.
  const bool cuda = on_cuda(name, {&x});
#else
  const bool cuda = false;
#endif
  if (!cuda) check_cpu(name, {&x});
  const DType compute = cuda ? x.dtype() : cpu_compute_dtype(x.dtype());
  // f16/bf16 outside autocast: compute in f32 through differentiable casts.
  if (compute != x.dtype()) return softmax_op(x.to(compute), dim_in, log).to(x.dtype());

  const int64_t dim = x.dim() == 0 ? 0 : normalize_dim(dim_in, x.dim(), name);
  const Tensor input = x.contiguous();
  Tensor y = make_tensor(x.shape(), x.dtype(), x.device());
#ifdef FOVEA_HAS_CUDA
  if (cuda) {
    softmax_forward_cuda(softmax_shape(x.shape(), dim), log, input, y);
  } else
#endif
    visit_floating(x.dtype(), name, [&](auto tag) {
      using T = decltype(tag);
      kernels::cpu::softmax_forward<T>(softmax_shape(x.shape(), dim), log, input.data<T>(),
                                       y.data<T>());
    });
  record_op(name, {x}, {y}, [saved = y.detach(), dim, log, name](const BackwardContext& ctx) {
    return TensorList{softmax_backward_raw(saved, ctx.grad(), dim, log, name)};
  });
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) {
  return softmax_op(x, dim, false);
}
Tensor log_softmax(const Tensor& x, int64_t dim) {
  return softmax_op(x, dim, true);
}

}  // namespace fovea
