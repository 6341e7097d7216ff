// The CUDA half of the fused window attention (kernels/cuda/attention.h): the bias
// gradient's workspace and dtype dispatch.
#include "engine/ops/cuda/window_attention.h"

#include <algorithm>

#include "engine/ops/cuda/dispatch.h"
#include "kernels/cuda/attention.h"

namespace fovea::cuda {

namespace {

template <typename T>
T* ptr(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr;
}

Tensor maybe(bool wanted, const Shape& shape, DType dtype, Device device) {
  return wanted ? make_tensor(shape, dtype, device) : Tensor();
}

kernels::WindowAttentionShape window_shape(const Tensor& q, int64_t windows, double scale) {
  return {.windows_total = q.size(0),
          .windows = windows,
          .heads = q.size(1),
          .tokens = q.size(2),
          .head_dim = q.size(3),
          .scale = scale};
}

}  // namespace

TensorList window_attention_forward(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const Tensor& bias, const Tensor& mask, double scale) {
  DeviceGuard guard(q.device().index);
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

TensorList window_attention_backward(const Tensor& q, const Tensor& k, const Tensor& v,
                                     const Tensor& probs, const Tensor& grad_out, int64_t windows,
                                     double scale, bool want_q, bool want_k, bool want_v,
                                     bool want_bias) {
  DeviceGuard guard(q.device().index);
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

}  // namespace fovea::cuda
