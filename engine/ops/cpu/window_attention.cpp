// The CPU half of the fused window attention: kernels/cpu/attention.cpp's window kernels.
#include "engine/ops/cpu/window_attention.h"

#include "engine/ops/dispatch.h"
#include "engine/ops/window_attention.h"
#include "kernels/attention.h"

namespace fovea::cpu {

TensorList window_attention_forward(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const Tensor& bias, const Tensor& mask, double scale) {
  const auto shape = window_attention_shape(q, mask.defined() ? mask.size(0) : 1, scale);
  Tensor probs = make_tensor({shape.windows_total, shape.heads, shape.tokens, shape.tokens},
                             q.dtype(), q.device());
  Tensor out = make_tensor(q.shape(), q.dtype(), q.device());
  visit_floating(q.dtype(), "window_attention", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::window_attention_forward<T>(shape, q.data<T>(), k.data<T>(), v.data<T>(),
                                              data_or_null<T>(bias), data_or_null<T>(mask),
                                              probs.data<T>(), out.data<T>());
  });
  return {probs, out};
}

TensorList window_attention_backward(const Tensor& q, const Tensor& k, const Tensor& v,
                                     const Tensor& probs, const Tensor& grad_out, int64_t windows,
                                     double scale, bool want_q, bool want_k, bool want_v,
                                     bool want_bias) {
  const auto shape = window_attention_shape(q, windows, scale);
  const DType dtype = q.dtype();
  const Device device = q.device();
  Tensor grad_q = output_if(want_q, q.shape(), dtype, device);
  Tensor grad_k = output_if(want_k, k.shape(), dtype, device);
  Tensor grad_v = output_if(want_v, v.shape(), dtype, device);
  Tensor grad_bias = output_if(want_bias, {shape.heads, shape.tokens, shape.tokens}, dtype, device);
  visit_floating(dtype, "window_attention backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::window_attention_backward<T>(shape, q.data<T>(), k.data<T>(), v.data<T>(),
                                               probs.data<T>(), grad_out.data<T>(),
                                               data_or_null<T>(grad_q), data_or_null<T>(grad_k),
                                               data_or_null<T>(grad_v), data_or_null<T>(grad_bias));
  });
  return {grad_q, grad_k, grad_v, grad_bias};
}

}  // namespace fovea::cpu
