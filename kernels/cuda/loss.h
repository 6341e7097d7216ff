#pragma once
// CUDA classification and regression losses (the math and conventions are
// kernels/loss.h's): per-row losses over contiguous [rows, classes] scores, and the
// gradient of the scores given the upstream gradient per row (grad_stride 0 broadcasts a
// single gradient). T is float, __half or __nv_bfloat16 (the ops hand them f32, since
// losses run in f32); sums accumulate in f32 and the saved log-sum-exp is f32. The
// targets' index, probability and weight pointers are device pointers.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "kernels/loss.h"

namespace fovea::kernels::cuda {

template <typename T>
void cross_entropy_forward(const ClassTargets<T>& targets, double label_smoothing,
                           const T* logits, T* loss, float* lse, cudaStream_t stream);
template <typename T>
void cross_entropy_backward(const ClassTargets<T>& targets, double label_smoothing,
                            const T* logits, const float* lse, const T* grad_loss,
                            int64_t grad_stride, double scale, T* grad_logits, cudaStream_t stream);

template <typename T>
void nll_forward(const ClassTargets<T>& targets, const T* log_probs, T* loss,
                 cudaStream_t stream);
template <typename T>
void nll_backward(const ClassTargets<T>& targets, const T* grad_loss, int64_t grad_stride,
                  double scale, T* grad_log_probs, cudaStream_t stream);

template <typename T>
void focal_forward(const ClassTargets<T>& targets, const FocalParams& params,
                   const T* alpha, const T* logits, T* loss, float* lse, cudaStream_t stream);
template <typename T>
void focal_backward(const ClassTargets<T>& targets, const FocalParams& params,
                    const T* alpha, const T* logits, const float* lse, const T* grad_loss,
                    int64_t grad_stride, double scale, T* grad_logits, cudaStream_t stream);

template <typename T>
void bce_with_logits_forward(const Loop<5>& loop, T* loss, const T* x, const T* target,
                             const T* weight, const T* pos_weight, cudaStream_t stream);
template <typename T>
void bce_with_logits_backward(const Loop<6>& loop, double scale, T* grad_x, const T* grad_loss,
                              const T* x, const T* target, const T* weight, const T* pos_weight,
                              cudaStream_t stream);

}  // namespace fovea::kernels::cuda
