// Host side of the CUDA attention kernels (kernels/cuda/attention.h): workspaces, device
// copies of the broadcast offsets, the cuBLAS handle, and dtype dispatch.
#include "engine/ops/cuda/attention.h"

#include "engine/ops/cuda/dispatch.h"
#include "engine/ops/factory.h"
#include "kernels/cuda/attention.h"

namespace fovea {

namespace {

template <typename T>
T* ptr(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr;
}

Tensor maybe(bool wanted, const Shape& shape, DType dtype, Device device) {
  return wanted ? make_tensor(shape, dtype, device) : Tensor();
}

// The operand in the kernels' terms; `offsets` keeps the device copy alive.
template <typename T>
kernels::ScoreOperand<T> score_operand(const ScoreOperandTensor& operand, Device device,
                                            Tensor& offsets) {
  if (!operand.data.defined()) return {};
  offsets = from_vector(operand.batch_offsets, {static_cast<int64_t>(operand.batch_offsets.size())})
                .to(device);
  return {ptr<const T>(operand.data), ptr<const int64_t>(offsets), operand.row_stride,
          operand.col_stride};
}

int64_t numel_of(const Shape& shape) {
  return shape_numel(shape);
}

kernels::cuda::WindowAttentionShape window_shape(const Tensor& q, int64_t windows, double scale) {
  return {.windows_total = q.size(0),
          .windows = windows,
          .heads = q.size(1),
          .tokens = q.size(2),
          .head_dim = q.size(3),
          .scale = scale};
}

}  // namespace

AttentionForwardCuda attention_forward_cuda(const kernels::AttentionShape& shape,
                                            const Tensor& q, const Tensor& k, const Tensor& v,
                                            const ScoreOperandTensor& bias,
                                            const ScoreOperandTensor& mask,
                                            const kernels::AttentionDropout& dropout,
                                            const Shape& score_shape, const Shape& out_shape) {
  const Device device = q.device();
  AttentionForwardCuda result;
  result.probs = make_tensor(score_shape, q.dtype(), device);
  result.out = make_tensor(out_shape, q.dtype(), device);
  const Tensor scores =
      make_tensor({std::max<int64_t>(1, numel_of(score_shape))}, DType::f32, device);
  const Tensor dropped = maybe(dropout.p > 0, score_shape, q.dtype(), device);
  Tensor bias_offsets, mask_offsets;
  visit_cuda_floating(q.dtype(), "scaled_dot_product_attention", [&](auto tag) {
    using T = decltype(tag);
    const auto bias_operand = score_operand<T>(bias, device, bias_offsets);
    const auto mask_operand = score_operand<bool>(mask, device, mask_offsets);
    kernels::cuda::attention_forward<T>(shape, ptr<const T>(q), ptr<const T>(k), ptr<const T>(v),
                                        bias_operand, mask_operand, dropout, ptr<float>(scores),
                                        ptr<T>(result.probs), ptr<T>(dropped), ptr<T>(result.out),
                                        cuda::cublas_handle(device.index), stream_for(q));
  });
  return result;
}

TensorList attention_backward_cuda(const kernels::AttentionShape& shape, const Tensor& q,
                                   const Tensor& k, const Tensor& v, const Tensor& probs,
                                   const kernels::AttentionDropout& dropout,
                                   const Tensor& grad_out, const Shape& score_shape, bool want_q,
                                   bool want_k, bool want_v) {
  const Device device = q.device();
  const DType dtype = q.dtype();
  Tensor grad_scores = make_tensor(score_shape, dtype, device);
  Tensor grad_q = maybe(want_q, q.shape(), dtype, device);
  Tensor grad_k = maybe(want_k, k.shape(), dtype, device);
  Tensor grad_v = maybe(want_v, v.shape(), dtype, device);
  const Tensor grad_p =
      make_tensor({std::max<int64_t>(1, numel_of(score_shape))}, DType::f32, device);
  const Tensor dropped = maybe(dropout.p > 0 && want_v, score_shape, dtype, device);
  visit_cuda_floating(dtype, "scaled_dot_product_attention backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::attention_backward<T>(shape, ptr<const T>(q), ptr<const T>(k), ptr<const T>(v),
                                         ptr<const T>(probs), dropout, ptr<const T>(grad_out),
                                         ptr<float>(grad_p), ptr<T>(dropped), ptr<T>(grad_scores),
                                         ptr<T>(grad_q), ptr<T>(grad_k), ptr<T>(grad_v),
                                         cuda::cublas_handle(device.index), stream_for(q));
  });
  return {grad_scores, grad_q, grad_k, grad_v};
}

TensorList window_attention_forward_cuda(const Tensor& q, const Tensor& k, const Tensor& v,
                                         const Tensor& bias, const Tensor& mask, double scale) {
  const auto shape = window_shape(q, mask.defined() ? mask.size(0) : 1, scale);
  Tensor probs = make_tensor({shape.windows_total, shape.heads, shape.tokens, shape.tokens},
                             q.dtype(), q.device());
  Tensor out = make_tensor(q.shape(), q.dtype(), q.device());
  visit_cuda_floating(q.dtype(), "window_attention", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::window_attention_forward<T>(
        shape, ptr<const T>(q), ptr<const T>(k), ptr<const T>(v), ptr<const T>(bias),
        ptr<const T>(mask), ptr<T>(probs), ptr<T>(out), stream_for(q));
  });
  return {probs, out};
}

TensorList window_attention_backward_cuda(const Tensor& q, const Tensor& k, const Tensor& v,
                                          const Tensor& probs, const Tensor& grad_out,
                                          int64_t windows, double scale, bool want_q, bool want_k,
                                          bool want_v, bool want_bias) {
  const auto shape = window_shape(q, windows, scale);
  const DType dtype = q.dtype();
  const Device device = q.device();
  Tensor grad_q = maybe(want_q, q.shape(), dtype, device);
  Tensor grad_k = maybe(want_k, k.shape(), dtype, device);
  Tensor grad_v = maybe(want_v, v.shape(), dtype, device);
  Tensor grad_bias = maybe(want_bias, {shape.heads, shape.tokens, shape.tokens}, dtype, device);
  const Tensor workspace =
      want_bias
          ? make_tensor(
                {std::max<int64_t>(1, kernels::cuda::window_attention_backward_workspace(shape))},
                DType::f32, device)
          : Tensor();
  visit_cuda_floating(dtype, "window_attention backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::window_attention_backward<T>(
        shape, ptr<const T>(q), ptr<const T>(k), ptr<const T>(v), ptr<const T>(probs),
        ptr<const T>(grad_out), ptr<T>(grad_q), ptr<T>(grad_k), ptr<T>(grad_v), ptr<T>(grad_bias),
        ptr<float>(workspace), stream_for(q));
  });
  return {grad_q, grad_k, grad_v, grad_bias};
}

}  // namespace fovea
