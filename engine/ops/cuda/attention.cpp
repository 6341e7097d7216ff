// The CUDA half of scaled_dot_product_attention (kernels/cuda/attention.h): workspaces,
// the cuBLAS handle and dtype dispatch. The bias and mask layouts travel by value (their
// offsets are computed in the kernels), so no call copies from the host.
#include "engine/ops/cuda/attention.h"

#include <algorithm>

#include "engine/ops/cuda/dispatch.h"
#include "engine/ops/dispatch.h"
#include "kernels/cuda/attention.h"

namespace fovea::cuda {

TensorList attention_forward(const kernels::AttentionShape& shape, const Tensor& q, const Tensor& k,
                             const Tensor& v, const Tensor& bias,
                             const kernels::ScoreLayout& bias_layout, const Tensor& mask,
                             const kernels::ScoreLayout& mask_layout,
                             const kernels::AttentionDropout& dropout, const Shape& score_shape,
                             const Shape& out_shape) {
  DeviceGuard guard(q.device().index);
  const Device device = q.device();
  Tensor probs = make_tensor(score_shape, q.dtype(), device);
  Tensor out = make_tensor(out_shape, q.dtype(), device);
  const Tensor scores =
      make_tensor({std::max<int64_t>(1, shape_numel(score_shape))}, DType::f32, device);
  const Tensor dropped = output_if(dropout.p > 0, score_shape, q.dtype(), device);
  visit_cuda_floating(q.dtype(), "scaled_dot_product_attention", [&](auto tag) {
    using T = decltype(tag);
    const kernels::ScoreOperand<T> bias_operand{data_or_null<const T>(bias), bias_layout};
    const kernels::ScoreOperand<bool> mask_operand{data_or_null<const bool>(mask), mask_layout};
    kernels::cuda::attention_forward<T>(
        shape, data_or_null<const T>(q), data_or_null<const T>(k), data_or_null<const T>(v),
        bias_operand, mask_operand, dropout, data_or_null<float>(scores), data_or_null<T>(probs),
        data_or_null<T>(dropped), data_or_null<T>(out), cublas_handle(device.index), stream_for(q));
  });
  return {probs, out};
}

TensorList attention_backward(const kernels::AttentionShape& shape, const Tensor& q,
                              const Tensor& k, const Tensor& v, const Tensor& probs,
                              const kernels::AttentionDropout& dropout, const Tensor& grad_out,
                              const Shape& score_shape, bool want_q, bool want_k, bool want_v) {
  DeviceGuard guard(q.device().index);
  const Device device = q.device();
  const DType dtype = q.dtype();
  Tensor grad_scores = make_tensor(score_shape, dtype, device);
  Tensor grad_q = output_if(want_q, q.shape(), dtype, device);
  Tensor grad_k = output_if(want_k, k.shape(), dtype, device);
  Tensor grad_v = output_if(want_v, v.shape(), dtype, device);
  const Tensor grad_p =
      make_tensor({std::max<int64_t>(1, shape_numel(score_shape))}, DType::f32, device);
  const Tensor dropped = output_if(dropout.p > 0 && want_v, score_shape, dtype, device);
  visit_cuda_floating(dtype, "scaled_dot_product_attention backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::attention_backward<T>(
        shape, data_or_null<const T>(q), data_or_null<const T>(k), data_or_null<const T>(v),
        data_or_null<const T>(probs), dropout, data_or_null<const T>(grad_out),
        data_or_null<float>(grad_p), data_or_null<T>(dropped), data_or_null<T>(grad_scores),
        data_or_null<T>(grad_q), data_or_null<T>(grad_k), data_or_null<T>(grad_v),
        cublas_handle(device.index), stream_for(q));
  });
  return {grad_scores, grad_q, grad_k, grad_v};
}

}  // namespace fovea::cuda
