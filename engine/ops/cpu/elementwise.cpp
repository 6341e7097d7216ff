// The CPU half of the elementwise ops: 16-bit floats computed in f32 and rounded back,
// loop geometry from the tensors, dtype dispatch into kernels/cpu/elementwise.cpp.
#include "engine/ops/cpu/elementwise.h"

#include <type_traits>

#include "engine/autograd.h"
#include "engine/ops/dispatch.h"
#include "engine/ops/loops.h"

namespace fovea::cpu {

using kernels::BinaryOp;
using kernels::CompareOp;
using kernels::UnaryOp;
using kernels::UnaryParams;

void binary(BinaryOp op, Tensor& out, const Tensor& a, const Tensor& b, const char* name) {
  const DType compute = cpu_compute_dtype(out.dtype());
  if (compute != out.dtype()) {
    NoGradGuard no_grad;
    Tensor wide = make_tensor(out.shape(), compute, out.device());
    binary(op, wide, a.to(compute), b.to(compute), name);
    out.copy_(wide);
    return;
  }
  visit_arithmetic(compute, name, [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::binary<T>(op, loop_over<3>(out.shape(), {&out, &a, &b}), out.data<T>(),
                            a.data<T>(), b.data<T>());
  });
}

Tensor unary(UnaryOp op, UnaryParams params, const Tensor& x) {
  const char* name = kernels::unary_op_name(op);
  const DType compute = cpu_compute_dtype(x.dtype());
  if (compute != x.dtype()) {
    NoGradGuard no_grad;
    return unary(op, params, x.to(compute)).to(x.dtype());
  }
  Tensor out = make_tensor(x.shape(), x.dtype(), x.device());
  visit_floating(compute, name, [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::unary<T>(op, params, loop_over<2>(x.shape(), {&out, &x}), out.data<T>(),
                           x.data<T>());
  });
  return out;
}

Tensor unary_backward(UnaryOp op, UnaryParams params, const Tensor& grad_y, const Tensor& x) {
  const char* name = kernels::unary_op_name(op);
  NoGradGuard no_grad;
  const DType compute = cpu_compute_dtype(x.dtype());
  if (compute != x.dtype()) {
    return unary_backward(op, params, grad_y.to(compute), x.to(compute)).to(x.dtype());
  }
  const Tensor gy = grad_y.to(x.dtype());
  Tensor grad_x = make_tensor(x.shape(), x.dtype(), x.device());
  visit_floating(compute, name, [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::unary_backward<T>(op, params, loop_over<3>(x.shape(), {&grad_x, &gy, &x}),
                                    grad_x.data<T>(), gy.data<T>(), x.data<T>());
  });
  return grad_x;
}

Tensor compare(CompareOp op, const Tensor& a_in, const Tensor& b_in, const char* name) {
  const DType dtype = cpu_compute_dtype(a_in.dtype());
  NoGradGuard no_grad;
  const Tensor a = a_in.to(dtype), b = b_in.to(dtype);
  Tensor out =
      make_tensor(broadcast_shapes(a.shape(), b.shape(), name), DType::boolean, a.device());
  const kernels::Loop<3> loop = loop_over<3>(out.shape(), {&out, &a, &b});
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, f16> || std::is_same_v<T, bf16>) {
      fail("{}: internal error, 16-bit floats should have been widened", name);
    } else {
      kernels::cpu::compare<T>(op, loop, out.data<bool>(), a.data<T>(), b.data<T>());
    }
  });
  return out;
}

void where(Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  NoGradGuard no_grad;
  const DType dtype = out.dtype();
  const DType compute = cpu_compute_dtype(dtype);
  const Tensor ac = a.to(compute), bc = b.to(compute);
  Tensor wide = compute == dtype ? out : make_tensor(out.shape(), compute, out.device());
  const kernels::Loop<4> loop = loop_over<4>(out.shape(), {&wide, &cond, &ac, &bc});
  visit_dtype(compute, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, f16> || std::is_same_v<T, bf16>) {
      fail("where: internal error, 16-bit floats should have been widened");
    } else {
      kernels::cpu::where<T>(loop, wide.data<T>(), cond.data<bool>(), ac.data<T>(), bc.data<T>());
    }
  });
  if (!wide.is_same(out)) out.copy_(wide);
}

}  // namespace fovea::cpu
