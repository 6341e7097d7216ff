// Host side of the CUDA losses: device guard and dtype dispatch around kernels/cuda/loss.h.
#include "engine/ops/cuda/loss.h"

#include "engine/ops/cuda/dispatch.h"
#include "kernels/cuda/loss.h"

namespace fovea::cuda {

namespace {

template <typename T>
T* ptr(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr;
}

template <typename T>
kernels::ClassTargets<T> class_targets(const Tensor& scores, const Tensor& index,
                                       const Tensor& probs, const Tensor& weight,
                                       int64_t ignore_index) {
  return {.rows = scores.size(0),
          .classes = scores.size(1),
          .target_index = ptr<const int64_t>(index),
          .target_probs = ptr<const T>(probs),
          .weight = ptr<const T>(weight),
          .ignore_index = ignore_index};
}

}  // namespace

void cross_entropy_forward(const Tensor& index, const Tensor& probs, const Tensor& weight,
                           int64_t ignore_index, double label_smoothing, const Tensor& logits,
                           const Tensor& loss, const Tensor& lse) {
  DeviceGuard guard(logits.device().index);
  visit_cuda_floating(logits.dtype(), "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::cross_entropy_forward<T>(
        class_targets<T>(logits, index, probs, weight, ignore_index), label_smoothing,
        ptr<const T>(logits), ptr<T>(loss), ptr<float>(lse), stream_for(logits));
  });
}

void cross_entropy_backward(const Tensor& index, const Tensor& probs, const Tensor& weight,
                            int64_t ignore_index, double label_smoothing, const Tensor& logits,
                            const Tensor& lse, const Tensor& grad_loss, int64_t grad_stride,
                            double scale, const Tensor& grad_logits) {
  DeviceGuard guard(logits.device().index);
  visit_cuda_floating(logits.dtype(), "cross_entropy backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::cross_entropy_backward<T>(
        class_targets<T>(logits, index, probs, weight, ignore_index), label_smoothing,
        ptr<const T>(logits), ptr<const float>(lse), ptr<const T>(grad_loss), grad_stride, scale,
        ptr<T>(grad_logits), stream_for(logits));
  });
}

void nll_forward(const Tensor& index, const Tensor& weight, int64_t ignore_index,
                 const Tensor& log_probs, const Tensor& loss) {
  DeviceGuard guard(log_probs.device().index);
  visit_cuda_floating(log_probs.dtype(), "nll_loss", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::nll_forward<T>(
        class_targets<T>(log_probs, index, Tensor(), weight, ignore_index), ptr<const T>(log_probs),
        ptr<T>(loss), stream_for(log_probs));
  });
}

void nll_backward(const Tensor& index, const Tensor& weight, int64_t ignore_index,
                  const Tensor& grad_loss, int64_t grad_stride, double scale,
                  const Tensor& grad_log_probs) {
  DeviceGuard guard(grad_log_probs.device().index);
  visit_cuda_floating(grad_log_probs.dtype(), "nll_loss backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::nll_backward<T>(
        class_targets<T>(grad_log_probs, index, Tensor(), weight, ignore_index),
        ptr<const T>(grad_loss), grad_stride, scale, ptr<T>(grad_log_probs),
        stream_for(grad_log_probs));
  });
}

void focal_forward(const Tensor& index, int64_t ignore_index, const kernels::FocalParams& params,
                   const Tensor& alpha, const Tensor& logits, const Tensor& loss,
                   const Tensor& lse) {
  DeviceGuard guard(logits.device().index);
  visit_cuda_floating(logits.dtype(), "focal_loss", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::focal_forward<T>(
        class_targets<T>(logits, index, Tensor(), Tensor(), ignore_index), params,
        ptr<const T>(alpha), ptr<const T>(logits), ptr<T>(loss), ptr<float>(lse),
        stream_for(logits));
  });
}

void focal_backward(const Tensor& index, int64_t ignore_index, const kernels::FocalParams& params,
                    const Tensor& alpha, const Tensor& logits, const Tensor& lse,
                    const Tensor& grad_loss, int64_t grad_stride, double scale,
                    const Tensor& grad_logits) {
  DeviceGuard guard(logits.device().index);
  visit_cuda_floating(logits.dtype(), "focal_loss backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::focal_backward<T>(
        class_targets<T>(logits, index, Tensor(), Tensor(), ignore_index), params,
        ptr<const T>(alpha), ptr<const T>(logits), ptr<const float>(lse), ptr<const T>(grad_loss),
        grad_stride, scale, ptr<T>(grad_logits), stream_for(logits));
  });
}

void bce_with_logits_forward(const kernels::Loop<5>& loop, const Tensor& loss, const Tensor& x,
                             const Tensor& target, const Tensor& weight, const Tensor& pos_weight) {
  DeviceGuard guard(x.device().index);
  visit_cuda_floating(x.dtype(), "binary_cross_entropy_with_logits", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::bce_with_logits_forward<T>(loop, ptr<T>(loss), ptr<const T>(x),
                                              ptr<const T>(target), ptr<const T>(weight),
                                              ptr<const T>(pos_weight), stream_for(x));
  });
}

void bce_with_logits_backward(const kernels::Loop<6>& loop, double scale, const Tensor& grad_x,
                              const Tensor& grad_loss, const Tensor& x, const Tensor& target,
                              const Tensor& weight, const Tensor& pos_weight) {
  DeviceGuard guard(x.device().index);
  visit_cuda_floating(x.dtype(), "binary_cross_entropy_with_logits backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::bce_with_logits_backward<T>(
        loop, scale, ptr<T>(grad_x), ptr<const T>(grad_loss), ptr<const T>(x), ptr<const T>(target),
        ptr<const T>(weight), ptr<const T>(pos_weight), stream_for(x));
  });
}

}  // namespace fovea::cuda
