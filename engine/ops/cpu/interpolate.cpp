// The CPU half of interpolate: widening, then the kernels of kernels/cpu/interpolate.cpp.
#include "engine/ops/cpu/interpolate.h"

#include "engine/autograd.h"
#include "engine/ops/dispatch.h"

namespace fovea::cpu {

using kernels::InterpolateShape;

Tensor interpolate(const Tensor& x_in, const InterpolateShape& s) {
  NoGradGuard no_grad;
  const DType compute = cpu_compute_dtype(x_in.dtype());
  const Tensor x = x_in.to(compute).contiguous();
  Tensor out = make_tensor({s.batch, s.out_h, s.out_w, s.channels}, compute, x.device());
  visit_floating(compute, "interpolate", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::interpolate<T>(x.data<T>(), out.data<T>(), s);
  });
  return out.to(x_in.dtype());
}

Tensor interpolate_backward(const Tensor& grad, const InterpolateShape& s) {
  NoGradGuard no_grad;
  const DType compute = cpu_compute_dtype(grad.dtype());
  const Tensor g = grad.to(compute).contiguous();
  Tensor grad_x = make_tensor({s.batch, s.in_h, s.in_w, s.channels}, compute, g.device());
  visit_floating(compute, "interpolate backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::interpolate_backward<T>(g.data<T>(), grad_x.data<T>(), s);
  });
  return grad_x.to(grad.dtype());
}

}  // namespace fovea::cpu
