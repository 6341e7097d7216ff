// The CPU halves of the losses: dtype dispatch around kernels/cpu/cross_entropy.cpp and
// kernels/cpu/bce_loss.cpp.
#include "engine/ops/cpu/loss.h"

#include "engine/ops/class_targets.h"
#include "engine/ops/dispatch.h"

namespace fovea::cpu {

void check_class_indices(const Tensor& index, int64_t classes, int64_t ignore_index,
                         const char* op) {
  const int64_t* data = index.data<int64_t>();
  for (int64_t r = 0; r < index.numel(); ++r) {
    FOVEA_CHECK(data[r] == ignore_index || (data[r] >= 0 && data[r] < classes),
                "{}: target class {} is out of range for {} classes (sample {})", op, data[r],
                classes, r);
  }
}

void cross_entropy_forward(const Tensor& index, const Tensor& probs, const Tensor& weight,
                           int64_t ignore_index, double label_smoothing, const Tensor& logits,
                           const Tensor& loss, const Tensor& lse) {
  visit_floating(logits.dtype(), "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::cross_entropy_forward<T>(
        class_targets<T>(logits, index, probs, weight, ignore_index), label_smoothing,
        data_or_null<const T>(logits), data_or_null<T>(loss), data_or_null<double>(lse));
  });
}

void cross_entropy_backward(const Tensor& index, const Tensor& probs, const Tensor& weight,
                            int64_t ignore_index, double label_smoothing, const Tensor& logits,
                            const Tensor& lse, const Tensor& grad_loss, int64_t grad_stride,
                            double scale, const Tensor& grad_logits) {
  visit_floating(logits.dtype(), "cross_entropy backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::cross_entropy_backward<T>(
        class_targets<T>(logits, index, probs, weight, ignore_index), label_smoothing,
        data_or_null<const T>(logits), data_or_null<const double>(lse),
        data_or_null<const T>(grad_loss), grad_stride, scale, data_or_null<T>(grad_logits));
  });
}

void nll_forward(const Tensor& index, const Tensor& weight, int64_t ignore_index,
                 const Tensor& log_probs, const Tensor& loss) {
  visit_floating(log_probs.dtype(), "nll_loss", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::nll_forward<T>(class_targets<T>(log_probs, index, Tensor(), weight, ignore_index),
                                 data_or_null<const T>(log_probs), data_or_null<T>(loss));
  });
}

void nll_backward(const Tensor& index, const Tensor& weight, int64_t ignore_index,
                  const Tensor& grad_loss, int64_t grad_stride, double scale,
                  const Tensor& grad_log_probs) {
  visit_floating(grad_log_probs.dtype(), "nll_loss backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::nll_backward<T>(
        class_targets<T>(grad_log_probs, index, Tensor(), weight, ignore_index),
        data_or_null<const T>(grad_loss), grad_stride, scale, data_or_null<T>(grad_log_probs));
  });
}

void focal_forward(const Tensor& index, int64_t ignore_index, const kernels::FocalParams& params,
                   const Tensor& alpha, const Tensor& logits, const Tensor& loss,
                   const Tensor& lse) {
  visit_floating(logits.dtype(), "focal_loss", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::focal_forward<T>(
        class_targets<T>(logits, index, Tensor(), Tensor(), ignore_index), params,
        data_or_null<const T>(alpha), data_or_null<const T>(logits), data_or_null<T>(loss),
        data_or_null<double>(lse));
  });
}

void focal_backward(const Tensor& index, int64_t ignore_index, const kernels::FocalParams& params,
                    const Tensor& alpha, const Tensor& logits, const Tensor& lse,
                    const Tensor& grad_loss, int64_t grad_stride, double scale,
                    const Tensor& grad_logits) {
  visit_floating(logits.dtype(), "focal_loss backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::focal_backward<T>(
        class_targets<T>(logits, index, Tensor(), Tensor(), ignore_index), params,
        data_or_null<const T>(alpha), data_or_null<const T>(logits),
        data_or_null<const double>(lse), data_or_null<const T>(grad_loss), grad_stride, scale,
        data_or_null<T>(grad_logits));
  });
}

void bce_with_logits_forward(const kernels::Loop<5>& loop, const Tensor& loss, const Tensor& x,
                             const Tensor& target, const Tensor& weight, const Tensor& pos_weight) {
  visit_floating(x.dtype(), "binary_cross_entropy_with_logits", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::bce_with_logits_forward<T>(
        loop, data_or_null<T>(loss), data_or_null<const T>(x), data_or_null<const T>(target),
        data_or_null<const T>(weight), data_or_null<const T>(pos_weight));
  });
}

void bce_with_logits_backward(const kernels::Loop<6>& loop, double scale, const Tensor& grad_x,
                              const Tensor& grad_loss, const Tensor& x, const Tensor& target,
                              const Tensor& weight, const Tensor& pos_weight) {
  visit_floating(x.dtype(), "binary_cross_entropy_with_logits backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::bce_with_logits_backward<T>(
        loop, scale, data_or_null<T>(grad_x), data_or_null<const T>(grad_loss),
        data_or_null<const T>(x), data_or_null<const T>(target), data_or_null<const T>(weight),
        data_or_null<const T>(pos_weight));
  });
}

}  // namespace fovea::cpu
