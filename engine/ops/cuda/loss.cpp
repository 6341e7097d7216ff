// Host side of the CUDA losses: device guard and dtype dispatch around kernels/cuda/loss.h.
#include "engine/ops/cuda/loss.h"

#include "engine/ops/class_targets.h"
#include "engine/ops/cuda/dispatch.h"
#include "engine/ops/dispatch.h"
#include "kernels/cuda/index_check.h"
#include "kernels/cuda/loss.h"

namespace fovea::cuda {

void check_class_indices(const Tensor& index, int64_t classes, int64_t ignore_index,
                         const char* op) {
  DeviceGuard guard(index.device().index);
  kernels::cuda::IndexCheckLabel label = kernels::cuda::index_check_label(op, 1);
  label.has_ignore = true;
  label.ignore_index = ignore_index;
  kernels::cuda::check_index_range(data_or_null<const int64_t>(index), index.numel(), classes,
                                   label, stream_for(index));
}

void cross_entropy_forward(const Tensor& index, const Tensor& probs, const Tensor& weight,
                           int64_t ignore_index, double label_smoothing, const Tensor& logits,
                           const Tensor& loss, const Tensor& lse) {
  DeviceGuard guard(logits.device().index);
  visit_cuda_floating(logits.dtype(), "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::cross_entropy_forward<T>(
        class_targets<T>(logits, index, probs, weight, ignore_index), label_smoothing,
        data_or_null<const T>(logits), data_or_null<T>(loss), data_or_null<float>(lse),
        stream_for(logits));
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
        data_or_null<const T>(logits), data_or_null<const float>(lse),
        data_or_null<const T>(grad_loss), grad_stride, scale, data_or_null<T>(grad_logits),
        stream_for(logits));
  });
}

void nll_forward(const Tensor& index, const Tensor& weight, int64_t ignore_index,
                 const Tensor& log_probs, const Tensor& loss) {
  DeviceGuard guard(log_probs.device().index);
  visit_cuda_floating(log_probs.dtype(), "nll_loss", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::nll_forward<T>(
        class_targets<T>(log_probs, index, Tensor(), weight, ignore_index),
        data_or_null<const T>(log_probs), data_or_null<T>(loss), stream_for(log_probs));
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
        data_or_null<const T>(grad_loss), grad_stride, scale, data_or_null<T>(grad_log_probs),
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
        data_or_null<const T>(alpha), data_or_null<const T>(logits), data_or_null<T>(loss),
        data_or_null<float>(lse), stream_for(logits));
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
        data_or_null<const T>(alpha), data_or_null<const T>(logits), data_or_null<const float>(lse),
        data_or_null<const T>(grad_loss), grad_stride, scale, data_or_null<T>(grad_logits),
        stream_for(logits));
  });
}

void bce_with_logits_forward(const kernels::Loop<5>& loop, const Tensor& loss, const Tensor& x,
                             const Tensor& target, const Tensor& weight, const Tensor& pos_weight) {
  DeviceGuard guard(x.device().index);
  visit_cuda_floating(x.dtype(), "binary_cross_entropy_with_logits", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::bce_with_logits_forward<T>(
        loop, data_or_null<T>(loss), data_or_null<const T>(x), data_or_null<const T>(target),
        data_or_null<const T>(weight), data_or_null<const T>(pos_weight), stream_for(x));
  });
}

void bce_with_logits_backward(const kernels::Loop<6>& loop, double scale, const Tensor& grad_x,
                              const Tensor& grad_loss, const Tensor& x, const Tensor& target,
                              const Tensor& weight, const Tensor& pos_weight) {
  DeviceGuard guard(x.device().index);
  visit_cuda_floating(x.dtype(), "binary_cross_entropy_with_logits backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::bce_with_logits_backward<T>(
        loop, scale, data_or_null<T>(grad_x), data_or_null<const T>(grad_loss),
        data_or_null<const T>(x), data_or_null<const T>(target), data_or_null<const T>(weight),
        data_or_null<const T>(pos_weight), stream_for(x));
  });
}

}  // namespace fovea::cuda
