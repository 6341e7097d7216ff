#pragma once
// CUDA launchers for the fused optimizer updates and the gradient checks (the math is
// kernels/optimizer.h's, as torch.optim.AdamW / SGD). Every launcher walks a list of
// tensors in 64K-element chunks, many tensors per launch (apex's multi_tensor_apply), so a
// model's few hundred parameters take a handful of launches instead of one each.
//
// 16-bit parameters: `master` is the f32 copy the update is computed on, and `param` the
// bf16/f16 working copy rewritten from it in the same pass. f32 parameters: `master` is the
// parameter itself and `param` is null. Optimizer state is always f32. Gradients have the
// parameter's storage type. Each launcher enqueues on `stream` and checks its launches.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/optimizer.h"

namespace fovea::kernels::cuda {

// Elements one block updates: tensors are cut into chunks of this size.
constexpr int64_t kMultiTensorChunk = 65536;

// The chunks of an n-element tensor (the partial sums grad_sum_of_squares writes).
inline int64_t multi_tensor_chunks(int64_t n) {
  return (n + kMultiTensorChunk - 1) / kMultiTensorChunk;
}

template <typename T>
struct AdamWTensor {
  float* master = nullptr;
  T* param = nullptr;  // null for f32 parameters
  const T* grad = nullptr;
  float* exp_avg = nullptr;
  float* exp_avg_sq = nullptr;
  int64_t n = 0;
};

template <typename T>
struct SgdTensor {
  float* master = nullptr;
  T* param = nullptr;  // null for f32 parameters
  const T* grad = nullptr;
  float* momentum_buffer = nullptr;  // unused (may be null) when momentum is 0
  int64_t n = 0;
};

template <typename T>
struct GradTensor {
  const T* grad = nullptr;
  int64_t n = 0;
};

// One AdamW step of every tensor in tensors[0, count). T: float, __half, __nv_bfloat16.
template <typename T>
void adamw_multi_tensor(const AdamWStep& step, const AdamWTensor<T>* tensors, int64_t count,
                        cudaStream_t stream);

// One SGD step of every tensor in tensors[0, count) (step.first for all of them).
template <typename T>
void sgd_multi_tensor(const SgdStep& step, const SgdTensor<T>* tensors, int64_t count,
                      cudaStream_t stream);

// Per chunk of every gradient, in list order: partials[2k] = the chunk's sum of squares
// (f64), partials[2k + 1] = its count of inf/nan elements. partials holds
// 2 * sum(multi_tensor_chunks(n)) doubles.
template <typename T>
void grad_sum_of_squares(const GradTensor<T>* tensors, int64_t count, double* partials,
                         cudaStream_t stream);

// out[0] = sum of partials[2k], out[1] = sum of partials[2k + 1] over k < chunks, in a fixed
// order (the same total on every run).
void reduce_grad_partials(const double* partials, int64_t chunks, double* out, cudaStream_t stream);

}  // namespace fovea::kernels::cuda
