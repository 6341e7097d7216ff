// The CPU half of the pooling ops: 16-bit floats computed in f32, then the kernels of
// kernels/cpu/pool.cpp on the expanded windows.
#include "engine/ops/cpu/pool.h"

#include "engine/autograd.h"
#include "engine/ops/dispatch.h"
#include "engine/ops/pool.h"

namespace fovea::cpu {

namespace {

using kernels::PoolAxis;
using kernels::PoolShape;

// `t` contiguous in the dtype the CPU kernels compute in, cut from the graph.
Tensor compute_operand(const Tensor& t) {
  NoGradGuard no_grad;
  return t.detach().to(cpu_compute_dtype(t.dtype())).contiguous();
}

Tensor narrowed(const Tensor& t, DType dtype) {
  NoGradGuard no_grad;
  return t.to(dtype);
}

}  // namespace

void max_pool2d_forward(const PoolShape& shape, const PoolAxis& rows, const PoolAxis& cols,
                        const Tensor& x, Tensor& y, Tensor& indices) {
  const Tensor xc = compute_operand(x);
  Tensor out = make_tensor(pool_tensor_shape(shape, true), xc.dtype(), x.device());
  indices = make_tensor(pool_tensor_shape(shape, true), DType::i64, x.device());
  const kernels::PoolWindows r = kernels::pool_windows(rows), c = kernels::pool_windows(cols);
  visit_floating(xc.dtype(), "max_pool2d", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::max_pool2d_forward<T>(shape, r, c, xc.data<T>(), out.data<T>(),
                                        indices.data<int64_t>());
  });
  y = narrowed(out, x.dtype());
}

Tensor max_pool2d_backward(const PoolShape& shape, const PoolAxis&, const PoolAxis&,
                           const Tensor& grad_y, const Tensor& indices) {
  const Tensor g = compute_operand(grad_y);
  const Tensor idx = indices.contiguous();
  Tensor grad_x = make_tensor(pool_tensor_shape(shape, false), g.dtype(), g.device());
  visit_floating(g.dtype(), "max_pool2d backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::max_pool2d_backward<T>(shape, g.data<T>(), idx.data<int64_t>(), grad_x.data<T>());
  });
  return narrowed(grad_x, grad_y.dtype());
}

Tensor avg_pool2d_forward(const PoolShape& shape, const PoolAxis& rows, const PoolAxis& cols,
                          const Tensor& x) {
  const Tensor xc = compute_operand(x);
  Tensor y = make_tensor(pool_tensor_shape(shape, true), xc.dtype(), x.device());
  const kernels::PoolWindows r = kernels::pool_windows(rows), c = kernels::pool_windows(cols);
  visit_floating(xc.dtype(), "avg_pool2d", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::avg_pool2d_forward<T>(shape, r, c, xc.data<T>(), y.data<T>());
  });
  return narrowed(y, x.dtype());
}

Tensor avg_pool2d_backward(const PoolShape& shape, const PoolAxis& rows, const PoolAxis& cols,
                           const Tensor& grad_y) {
  const Tensor g = compute_operand(grad_y);
  Tensor grad_x = make_tensor(pool_tensor_shape(shape, false), g.dtype(), g.device());
  const kernels::PoolWindows r = kernels::pool_windows(rows), c = kernels::pool_windows(cols);
  visit_floating(g.dtype(), "avg_pool2d backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::avg_pool2d_backward<T>(shape, r, c, g.data<T>(), grad_x.data<T>());
  });
  return narrowed(grad_x, grad_y.dtype());
}

}  // namespace fovea::cpu
