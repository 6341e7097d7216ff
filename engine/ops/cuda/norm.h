#pragma once
// The CUDA halves of the normalisation ops (engine/ops/norm.cpp): each takes the op's
// already-checked, contiguous tensors in one dtype (f32, f16 or bf16) and the outputs the
// op allocated (statistics in f32; an undefined gradient means "not wanted"), and
// enqueues the kernels::cuda launchers on the input's stream.
#ifdef FOVEA_HAS_CUDA
#include "engine/tensor.h"
#include "kernels/cuda/norm.h"

namespace fovea {

void layer_norm_forward_cuda(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                             const Tensor& y, const Tensor& mean, const Tensor& rstd, int64_t rows,
                             int64_t cols);
void layer_norm_backward_cuda(const Tensor& grad_y, const Tensor& x, const Tensor& mean,
                              const Tensor& rstd, const Tensor& weight, const Tensor& grad_x,
                              const Tensor& grad_weight, const Tensor& grad_bias, int64_t rows,
                              int64_t cols);

// Training statistics (mean, biased var, rstd, all [channels] f32) and, when the running
// stats are defined, their in-place update exactly as the CPU op does it.
void batch_norm_stats_cuda(const Tensor& x, double eps, const Tensor& mean, const Tensor& var,
                           const Tensor& rstd, int64_t rows, int64_t channels);
void batch_norm_update_running_cuda(const Tensor& mean, const Tensor& var,
                                    const Tensor& running_mean, const Tensor& running_var,
                                    double momentum, double bessel);
void batch_norm_eval_stats_cuda(const Tensor& running_mean, const Tensor& running_var, double eps,
                                const Tensor& mean, const Tensor& rstd);
void batch_norm_forward_cuda(const Tensor& x, const Tensor& mean, const Tensor& rstd,
                             const Tensor& weight, const Tensor& bias,
                             kernels::NormActivation activation, const Tensor& y,
                             int64_t rows, int64_t channels);
void batch_norm_backward_cuda(const Tensor& grad_y, const Tensor& x, const Tensor& mean,
                              const Tensor& rstd, const Tensor& weight, bool batch_stats,
                              const Tensor& grad_x, const Tensor& grad_weight,
                              const Tensor& grad_bias, int64_t rows, int64_t channels);

void group_norm_forward_cuda(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                             const Tensor& y, const Tensor& mean, const Tensor& rstd,
                             kernels::GroupNormShape shape);
void group_norm_backward_cuda(const Tensor& grad_y, const Tensor& x, const Tensor& mean,
                              const Tensor& rstd, const Tensor& weight, const Tensor& grad_x,
                              const Tensor& grad_weight, const Tensor& grad_bias,
                              kernels::GroupNormShape shape);

}  // namespace fovea
#endif
