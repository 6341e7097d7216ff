// The CUDA half of the fused window attention (kernels/cuda/attention.h): the bias
// gradient's workspace and dtype dispatch.
#include "engine/ops/cuda/window_attention.h"

#include <algorithm>

#include "engine/ops/cuda/dispatch.h"
#include "engine/ops/dispatch.h"
#include "engine/ops/window_attention.h"
#include "kernels/cuda/attention.h"

namespace fovea::cuda {

TensorList window_attention_forward(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const Tensor& bias, const Tensor& mask, double scale) {
  DeviceGuard guard(q.device().index);
  const auto shape = window_attention_shape(q, mask.defined() ? mask.size(0) : 1, scale);
  Tensor probs = make_tensor({shape.windows_total, shape.heads, shape.tokens, shape.tokens},
                             q.dtype(), q.device());
  Tensor out = make_tensor(q.shape(), q.dtype(), q.device());
  visit_cuda_floating(q.dtype(), "window_attention", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::window_attention_forward<T>(
        shape, data_or_null<const T>(q), data_or_null<const T>(k), data_or_null<const T>(v),
        data_or_null<const T>(bias), data_or_null<const T>(mask), data_or_null<T>(probs),
        data_or_null<T>(out), stream_for(q));
  });
  return {probs, out};
}

TensorList window_attention_backward(const Tensor& q, const Tensor& k, const Tensor& v,
                                     const Tensor& probs, const Tensor& grad_out, int64_t windows,
                                     double scale, bool want_q, bool want_k, bool want_v,
                                     bool want_bias) {
  DeviceGuard guard(q.device().index);
  const auto shape = window_attention_shape(q, windows, scale);
  const DType dtype = q.dtype();
  const Device device = q.device();
  Tensor grad_q = output_if(want_q, q.shape(), dtype, device);
  Tensor grad_k = output_if(want_k, k.shape(), dtype, device);
  Tensor grad_v = output_if(want_v, v.shape(), dtype, device);
  Tensor grad_bias = output_if(want_bias, {shape.heads, shape.tokens, shape.tokens}, dtype, device);
  const Tensor workspace =
      want_bias
          ? make_tensor(
                {std::max<int64_t>(1, kernels::cuda::window_attention_backward_workspace(shape))},
                DType::f32, device)
          : Tensor();
  visit_cuda_floating(dtype, "window_attention backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::window_attention_backward<T>(
        shape, data_or_null<const T>(q), data_or_null<const T>(k), data_or_null<const T>(v),
        data_or_null<const T>(probs), data_or_null<const T>(grad_out), data_or_null<T>(grad_q),
        data_or_null<T>(grad_k), data_or_null<T>(grad_v), data_or_null<T>(grad_bias),
        data_or_null<float>(workspace), stream_for(q));
  });
  return {grad_q, grad_k, grad_v, grad_bias};
}

}  // namespace fovea::cuda
