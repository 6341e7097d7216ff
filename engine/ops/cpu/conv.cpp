// The CPU half of conv2d: the compute dtype, and the dense/depthwise kernel switch.
#include "engine/ops/cpu/conv.h"

#include "engine/autograd.h"
#include "engine/ops/dispatch.h"

namespace fovea::cpu {

namespace {

using kernels::Conv2dShape;

constexpr const char* kOp = "conv2d";

// `t` as a contiguous tensor of the compute dtype, cut from the graph.
Tensor compute_operand(const Tensor& t, DType compute) {
  if (!t.defined()) return t;
  NoGradGuard no_grad;
  return t.detach().to(compute).contiguous();
}

// `t` (computed in a wider dtype) rounded back to `dtype`.
Tensor narrowed(const Tensor& t, DType dtype) {
  NoGradGuard no_grad;
  return t.to(dtype);
}

}  // namespace

Tensor conv2d_forward(const Conv2dShape& s, const Tensor& x, const Tensor& w, const Tensor& bias) {
  const DType compute = cpu_compute_dtype(x.dtype());
  const Tensor xc = compute_operand(x, compute), wc = compute_operand(w, compute);
  const Tensor bc = compute_operand(bias, compute);
  Tensor y = make_tensor({s.batch, s.out_h, s.out_w, s.out_channels}, compute, x.device());
  visit_floating(compute, kOp, [&](auto tag) {
    using T = decltype(tag);
    const T* b = bc.defined() ? bc.data<T>() : nullptr;
    if (s.depthwise()) {
      kernels::cpu::depthwise_conv2d_forward<T>(s, xc.data<T>(), wc.data<T>(), b, y.data<T>());
    } else {
      kernels::cpu::conv2d_forward<T>(s, xc.data<T>(), wc.data<T>(), b, y.data<T>());
    }
  });
  return narrowed(y, x.dtype());
}

Tensor conv2d_backward_data(const Conv2dShape& s, const Tensor& grad_y, const Tensor& w,
                            DType dtype) {
  const DType compute = cpu_compute_dtype(dtype);
  const Tensor gc = compute_operand(grad_y, compute), wc = compute_operand(w, compute);
  Tensor grad_x = make_tensor({s.batch, s.in_h, s.in_w, s.in_channels}, compute, w.device());
  visit_floating(compute, kOp, [&](auto tag) {
    using T = decltype(tag);
    if (s.depthwise()) {
      kernels::cpu::depthwise_conv2d_backward_data<T>(s, gc.data<T>(), wc.data<T>(),
                                                      grad_x.data<T>());
    } else {
      kernels::cpu::conv2d_backward_data<T>(s, gc.data<T>(), wc.data<T>(), grad_x.data<T>());
    }
  });
  return narrowed(grad_x, dtype);
}

Tensor conv2d_backward_weight(const Conv2dShape& s, const Tensor& grad_y, const Tensor& x,
                              DType dtype) {
  const DType compute = cpu_compute_dtype(dtype);
  const Tensor gc = compute_operand(grad_y, compute), xc = compute_operand(x, compute);
  Tensor grad_w =
      make_tensor({s.out_channels, s.kernel_h, s.kernel_w, s.group_in()}, compute, x.device());
  visit_floating(compute, kOp, [&](auto tag) {
    using T = decltype(tag);
    if (s.depthwise()) {
      kernels::cpu::depthwise_conv2d_backward_weight<T>(s, gc.data<T>(), xc.data<T>(),
                                                        grad_w.data<T>());
    } else {
      kernels::cpu::conv2d_backward_weight<T>(s, gc.data<T>(), xc.data<T>(), grad_w.data<T>());
    }
  });
  return narrowed(grad_w, dtype);
}

}  // namespace fovea::cpu
