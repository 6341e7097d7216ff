// The CPU half of the fused window attention: kernels/cpu/attention.cpp's window kernels.
#include "engine/ops/cpu/window_attention.h"

#include "engine/ops/dispatch.h"
#include "kernels/attention.h"

namespace fovea::cpu {

namespace {

kernels::WindowAttentionShape window_shape(const Tensor& q, int64_t windows, double scale) {
  return {.windows_total = q.size(0),
          .windows = windows,
          .heads = q.size(1),
          .tokens = q.size(2),
          .head_dim = q.size(3),
          .scale = scale};
}

Tensor maybe(bool wanted, const Shape& shape, DType dtype, Device device) {
  return wanted ? make_tensor(shape, dtype, device) : Tensor();
}

template <typename T>
T* ptr(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

}  // namespace

TensorList window_attention_forward(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const Tensor& bias, const Tensor& mask, double scale) {
  const auto shape = window_shape(q, mask.defined() ? mask.size(0) : 1, scale);
  Tensor probs = make_tensor({shape.windows_total, shape.heads, shape.tokens, shape.tokens},
                             q.dtype(), q.device());
  Tensor out = make_tensor(q.shape(), q.dtype(), q.device());
  visit_floating(q.dtype(), "window_attention", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::window_attention_forward<T>(shape, q.data<T>(), k.data<T>(), v.data<T>(),
                                              ptr<T>(bias), ptr<T>(mask), probs.data<T>(),
                                              out.data<T>());
  });
  return {probs, out};
}

TensorList window_attention_backward(const Tensor& q, const Tensor& k, const Tensor& v,
                                     const Tensor& probs, const Tensor& grad_out, int64_t windows,
                                     double scale, bool want_q, bool want_k, bool want_v,
                                     bool want_bias) {
  const auto shape = window_shape(q, windows, scale);
  const DType dtype = q.dtype();
  const Device device = q.device();
  Tensor grad_q = maybe(want_q, q.shape(), dtype, device);
  Tensor grad_k = maybe(want_k, k.shape(), dtype, device);
  Tensor grad_v = maybe(want_v, v.shape(), dtype, device);
  Tensor grad_bias = maybe(want_bias, {shape.heads, shape.tokens, shape.tokens}, dtype, device);
  visit_floating(dtype, "window_attention backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::window_attention_backward<T>(shape, q.data<T>(), k.data<T>(), v.data<T>(),
                                               probs.data<T>(), grad_out.data<T>(), ptr<T>(grad_q),
                                               ptr<T>(grad_k), ptr<T>(grad_v), ptr<T>(grad_bias));
  });
  return {grad_q, grad_k, grad_v, grad_bias};
}

}  // namespace fovea::cpu
