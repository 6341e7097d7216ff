#pragma once
// The CUDA halves of the fused losses (engine/ops/loss.cpp), with the same names and
// signatures as engine/ops/cpu/loss.h. Scores, targets and weights are already checked,
// contiguous and in the scores' dtype (index targets i64, range-checked by the op);
// outputs are allocated by the op (lse in f32). An undefined index/probs/weight/alpha
// tensor means the kernels' null pointer. Plain C++; a CPU-only build links
// engine/without_cuda.cpp's versions, which throw.
#include "engine/tensor.h"
#include "kernels/loss.h"

namespace fovea::cuda {

// Every class index lies in [0, classes) or equals ignore_index; a bad one names `op`,
// the value and the sample (on CUDA at the next synchronisation, from the device).
void check_class_indices(const Tensor& index, int64_t classes, int64_t ignore_index,
                         const char* op);

void cross_entropy_forward(const Tensor& index, const Tensor& probs, const Tensor& weight,
                           int64_t ignore_index, double label_smoothing, const Tensor& logits,
                           const Tensor& loss, const Tensor& lse);
void cross_entropy_backward(const Tensor& index, const Tensor& probs, const Tensor& weight,
                            int64_t ignore_index, double label_smoothing, const Tensor& logits,
                            const Tensor& lse, const Tensor& grad_loss, int64_t grad_stride,
                            double scale, const Tensor& grad_logits);

void nll_forward(const Tensor& index, const Tensor& weight, int64_t ignore_index,
                 const Tensor& log_probs, const Tensor& loss);
void nll_backward(const Tensor& index, const Tensor& weight, int64_t ignore_index,
                  const Tensor& grad_loss, int64_t grad_stride, double scale,
                  const Tensor& grad_log_probs);

void focal_forward(const Tensor& index, int64_t ignore_index, const kernels::FocalParams& params,
                   const Tensor& alpha, const Tensor& logits, const Tensor& loss,
                   const Tensor& lse);
void focal_backward(const Tensor& index, int64_t ignore_index, const kernels::FocalParams& params,
                    const Tensor& alpha, const Tensor& logits, const Tensor& lse,
                    const Tensor& grad_loss, int64_t grad_stride, double scale,
                    const Tensor& grad_logits);

void bce_with_logits_forward(const kernels::Loop<5>& loop, const Tensor& loss, const Tensor& x,
                             const Tensor& target, const Tensor& weight, const Tensor& pos_weight);
void bce_with_logits_backward(const kernels::Loop<6>& loop, double scale, const Tensor& grad_x,
                              const Tensor& grad_loss, const Tensor& x, const Tensor& target,
                              const Tensor& weight, const Tensor& pos_weight);

}  // namespace fovea::cuda
