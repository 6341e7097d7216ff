#pragma once
// The CUDA halves of the normalisation ops (engine/ops/norm.cpp), with the same names and
// Tensor-level signatures as the CPU halves (engine/ops/cpu/norm.h). Each takes the op's
// already-checked, contiguous tensors in one dtype (f32, f16 or bf16) and the outputs the
// op allocated (statistics in f32; an undefined gradient means "not wanted"), and
// enqueues the kernels::cuda launchers on the input's stream, on the input's device.
// Plain C++: a CPU-only build links engine/without_cuda.cpp's versions, which throw.
#include "engine/tensor.h"
#include "kernels/norm.h"

namespace fovea::cuda {

void layer_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                        const Tensor& y, const Tensor& mean, const Tensor& rstd, int64_t rows,
                        int64_t cols);
void layer_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor& mean,
                         const Tensor& rstd, const Tensor& weight, const Tensor& grad_x,
                         const Tensor& grad_weight, const Tensor& grad_bias, int64_t rows,
                         int64_t cols);

// Training statistics (mean, biased var, rstd, all [channels]) and, when the running
// stats are defined, their in-place update:
//   running = (1 - momentum) running + momentum * stat (the variance times `bessel`).
void batch_norm_stats(const Tensor& x, double eps, const Tensor& mean, const Tensor& var,
                      const Tensor& rstd, int64_t rows, int64_t channels);
void batch_norm_update_running(const Tensor& mean, const Tensor& var, const Tensor& running_mean,
                               const Tensor& running_var, double momentum, double bessel);
// Eval: mean = running_mean and rstd = 1 / sqrt(running_var + eps), copied so that later
// in-place changes of the running stats do not reach the backward.
void batch_norm_eval_stats(const Tensor& running_mean, const Tensor& running_var, double eps,
                           const Tensor& mean, const Tensor& rstd);
// y = act(xhat * weight + bias), the activation in the same pass.
void batch_norm_forward(const Tensor& x, const Tensor& mean, const Tensor& rstd,
                        const Tensor& weight, const Tensor& bias,
                        kernels::NormActivation activation, const Tensor& y, int64_t rows,
                        int64_t channels);
// With an activation, the pre-activation is recomputed from x, the statistics, weight and
// bias; `batch_stats`: the statistics came from x (training).
void batch_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor& mean,
                         const Tensor& rstd, const Tensor& weight, const Tensor& bias,
                         kernels::NormActivation activation, bool batch_stats, const Tensor& grad_x,
                         const Tensor& grad_weight, const Tensor& grad_bias, int64_t rows,
                         int64_t channels);

void group_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                        const Tensor& y, const Tensor& mean, const Tensor& rstd,
                        kernels::GroupNormShape shape);
void group_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor& mean,
                         const Tensor& rstd, const Tensor& weight, const Tensor& grad_x,
                         const Tensor& grad_weight, const Tensor& grad_bias,
                         kernels::GroupNormShape shape);

}  // namespace fovea::cuda
