// The CPU half of scaled_dot_product_attention: kernels/cpu/attention.cpp.
#include "engine/ops/cpu/attention.h"

#include "engine/ops/dispatch.h"

namespace fovea::cpu {

TensorList attention_forward(const kernels::AttentionShape& shape, const Tensor& q, const Tensor& k,
                             const Tensor& v, const Tensor& bias,
                             const kernels::ScoreLayout& bias_layout, const Tensor& mask,
                             const kernels::ScoreLayout& mask_layout,
                             const kernels::AttentionDropout& dropout, const Shape& score_shape,
                             const Shape& out_shape) {
  Tensor probs = make_tensor(score_shape, q.dtype(), q.device());
  Tensor out = make_tensor(out_shape, q.dtype(), q.device());
  visit_floating(q.dtype(), "scaled_dot_product_attention", [&](auto tag) {
    using T = decltype(tag);
    const kernels::ScoreOperand<T> bias_operand{data_or_null<T>(bias), bias_layout};
    const kernels::ScoreOperand<bool> mask_operand{data_or_null<bool>(mask), mask_layout};
    kernels::cpu::attention_forward<T>(shape, q.data<T>(), k.data<T>(), v.data<T>(), bias_operand,
                                       mask_operand, dropout, probs.data<T>(), out.data<T>());
  });
  return {probs, out};
}

TensorList attention_backward(const kernels::AttentionShape& shape, const Tensor& q,
                              const Tensor& k, const Tensor& v, const Tensor& probs,
                              const kernels::AttentionDropout& dropout, const Tensor& grad_out,
                              const Shape& score_shape, bool want_q, bool want_k, bool want_v) {
  const DType dtype = q.dtype();
  const Device device = q.device();
  Tensor grad_scores = make_tensor(score_shape, dtype, device);
  Tensor grad_q = output_if(want_q, q.shape(), dtype, device);
  Tensor grad_k = output_if(want_k, k.shape(), dtype, device);
  Tensor grad_v = output_if(want_v, v.shape(), dtype, device);
  visit_floating(dtype, "scaled_dot_product_attention backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::attention_backward<T>(shape, q.data<T>(), k.data<T>(), v.data<T>(),
                                        probs.data<T>(), dropout, grad_out.data<T>(),
                                        grad_scores.data<T>(), data_or_null<T>(grad_q),
                                        data_or_null<T>(grad_k), data_or_null<T>(grad_v));
  });
  return {grad_scores, grad_q, grad_k, grad_v};
}

}  // namespace fovea::cpu
