#pragma once
// CUDA launchers for layer norm, batch norm and group norm (the math is kernels/norm.h's).
// Every array is contiguous and channels-last; x, y, weight, bias and their gradients are
// in the storage type T (float, __half, __nv_bfloat16); statistics (mean, rstd, var) and
// all accumulation are f32. A null weight/bias means "no affine"; a null gradient pointer
// means "not wanted". Each launcher enqueues on `stream` and checks the launch.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/norm.h"

namespace fovea::kernels::cuda {

// ---- layer norm: x is [rows, cols]; weight and bias are [cols] ----

template <typename T>
void layer_norm_forward(const T* x, const T* weight, const T* bias, double eps, T* y, float* mean,
                        float* rstd, int64_t rows, int64_t cols, cudaStream_t stream);

// f32 scratch the weight/bias gradients need (per-block partial column sums).
int64_t layer_norm_backward_workspace(int64_t rows, int64_t cols);

template <typename T>
void layer_norm_backward(const T* grad_y, const T* x, const float* mean, const float* rstd,
                         const T* weight, T* grad_x, T* grad_weight, T* grad_bias, float* workspace,
                         int64_t rows, int64_t cols, cudaStream_t stream);

// ---- batch norm: x is [rows, channels]; statistics per channel ----

// f32 scratch for batch_norm_stats and batch_norm_backward.
int64_t batch_norm_workspace(int64_t rows, int64_t channels);

// Batch statistics: mean, biased var and rstd = 1 / sqrt(var + eps) per channel (f32).
template <typename T>
void batch_norm_stats(const T* x, float* mean, float* var, float* rstd, double eps,
                      float* workspace, int64_t rows, int64_t channels, cudaStream_t stream);

// running = running * (1 - momentum) then += stat * momentum (var with the Bessel factor
// rows / (rows - 1)), each step rounded to R as the CPU op's mul_ and add_scaled_ do.
template <typename R>
void batch_norm_update_running(const float* mean, const float* var, R* running_mean, R* running_var,
                               double momentum, double bessel, int64_t channels,
                               cudaStream_t stream);

// Eval statistics from the running ones: mean = running_mean, rstd = 1/sqrt(var + eps).
template <typename R>
void batch_norm_eval_stats(const R* running_mean, const R* running_var, double eps, float* mean,
                           float* rstd, int64_t channels, cudaStream_t stream);

// y = act((x - mean[c]) * (rstd[c] * weight[c]) + bias[c]).
template <typename T>
void batch_norm_forward(const T* x, const float* mean, const float* rstd, const T* weight,
                        const T* bias, NormActivation activation, T* y, int64_t rows,
                        int64_t channels, cudaStream_t stream);

template <typename T>
void batch_norm_backward(const T* grad_y, const T* x, const float* mean, const float* rstd,
                         const T* weight, bool batch_stats, T* grad_x, T* grad_weight, T* grad_bias,
                         float* workspace, int64_t rows, int64_t channels, cudaStream_t stream);

// ---- group norm: x is [batch, spatial, channels] (kernels::GroupNormShape) ----

// mean and rstd are [batch, groups].
template <typename T>
void group_norm_forward(const T* x, const T* weight, const T* bias, double eps, T* y, float* mean,
                        float* rstd, GroupNormShape shape, cudaStream_t stream);

int64_t group_norm_backward_workspace(GroupNormShape shape);

template <typename T>
void group_norm_backward(const T* grad_y, const T* x, const float* mean, const float* rstd,
                         const T* weight, T* grad_x, T* grad_weight, T* grad_bias, float* workspace,
                         GroupNormShape shape, cudaStream_t stream);

}  // namespace fovea::kernels::cuda
