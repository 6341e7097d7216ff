#pragma once
// The CUDA halves of the fused losses (engine/ops/loss.cpp). Scores, targets and weights
// are already checked, contiguous and in the scores' dtype (index targets i64); outputs
// are allocated by the op (lse in f32). An undefined index/probs/weight/alpha tensor means
// the kernels' null pointer.
#ifdef FOVEA_HAS_CUDA
#include "engine/tensor.h"
#include "kernels/loss.h"

namespace fovea {

void cross_entropy_forward_cuda(const Tensor& index, const Tensor& probs, const Tensor& weight,
                                int64_t ignore_index, double label_smoothing, const Tensor& logits,
                                const Tensor& loss, const Tensor& lse);
void cross_entropy_backward_cuda(const Tensor& index, const Tensor& probs, const Tensor& weight,
                                 int64_t ignore_index, double label_smoothing, const Tensor& logits,
                                 const Tensor& lse, const Tensor& grad_loss, int64_t grad_stride,
                                 double scale, const Tensor& grad_logits);

void nll_forward_cuda(const Tensor& index, const Tensor& weight, int64_t ignore_index,
                      const Tensor& log_probs, const Tensor& loss);
void nll_backward_cuda(const Tensor& index, const Tensor& weight, int64_t ignore_index,
                       const Tensor& grad_loss, int64_t grad_stride, double scale,
                       const Tensor& grad_log_probs);

void focal_forward_cuda(const Tensor& index, int64_t ignore_index,
                        const kernels::FocalParams& params, const Tensor& alpha,
                        const Tensor& logits, const Tensor& loss, const Tensor& lse);
void focal_backward_cuda(const Tensor& index, int64_t ignore_index,
                         const kernels::FocalParams& params, const Tensor& alpha,
                         const Tensor& logits, const Tensor& lse, const Tensor& grad_loss,
                         int64_t grad_stride, double scale, const Tensor& grad_logits);

void bce_with_logits_forward_cuda(const kernels::Loop<5>& loop, const Tensor& loss, const Tensor& x,
                                  const Tensor& target, const Tensor& weight,
                                  const Tensor& pos_weight);
void bce_with_logits_backward_cuda(const kernels::Loop<6>& loop, double scale, const Tensor& grad_x,
                                   const Tensor& grad_loss, const Tensor& x, const Tensor& target,
                                   const Tensor& weight, const Tensor& pos_weight);

}  // namespace fovea
#endif
