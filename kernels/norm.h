#pragma once
// Normalisation kernels: batch norm, layer norm and group norm, forward and backward.
// Layout is channels-last (NHWC): every array is contiguous and channels are the last,
// fastest-moving dim. Statistics accumulate in double in a fixed order, so results do
// not depend on the number of threads. A null weight/bias pointer means "no affine"
// (weight 1, bias 0); a null gradient pointer means "not wanted".
//
// Notation: xhat = (x - mean) * rstd with rstd = 1 / sqrt(biased variance + eps), and
// y = xhat * weight + bias. With dxhat = dy * weight, the gradient through statistics
// computed from x itself over a set of n elements is
//   dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).
#include <cstdint>

namespace fovea::kernels {

// The activation a batch norm may apply to its output in the same pass (timm's
// BatchNormAct2d). Both devices fuse it: the forward activates the normalised value z,
// and the backward recomputes z from x and the saved statistics to differentiate through
// the activation, so no pre-activation tensor is kept.
enum class NormActivation { none, relu, silu };

}  // namespace fovea::kernels

namespace fovea::kernels {

// ---- group norm: x is [batch, spatial, channels]; channels split into `groups` runs of
// channels / groups consecutive channels; statistics per (sample, group) over every
// spatial position and the group's channels; weight and bias are per channel ----

struct GroupNormShape {
  int64_t batch = 1;
  int64_t spatial = 1;  // the product of the dims between batch and channels
  int64_t channels = 1;
  int64_t groups = 1;
};

}  // namespace fovea::kernels

namespace fovea::kernels::cpu {

// ---- batch norm: x is [rows, channels], statistics per channel over the rows ----

// mean[c] and the biased variance var[c] of each channel. T: float, double.
template <typename T>
void batch_norm_stats(const T* x, T* mean, T* var, int64_t rows, int64_t channels);

// y = act(z), z = (x - mean[c]) * rstd[c] * weight[c] + bias[c], with act the identity,
// relu (z > 0 ? z : 0) or silu (z * sigmoid(z)), in the same pass. T: float, double.
template <typename T>
void batch_norm_forward(const T* x, const T* mean, const T* rstd, const T* weight, const T* bias,
                        NormActivation activation, T* y, int64_t rows, int64_t channels);

// Gradients of batch_norm_forward. With an activation, z is recomputed from x, the
// statistics, weight and bias, and grad_y is first multiplied by act'(z). With
// `batch_stats` (training), mean and rstd were computed from this x and the gradient also
// flows through them; otherwise (eval) they are constants. T: float, double.
template <typename T>
void batch_norm_backward(const T* grad_y, const T* x, const T* mean, const T* rstd, const T* weight,
                         const T* bias, NormActivation activation, bool batch_stats, T* grad_x,
                         T* grad_weight, T* grad_bias, int64_t rows, int64_t channels);

// ---- layer norm: x is [rows, cols], statistics per row; weight and bias are [cols] ----

// Writes y, and mean[r] and rstd[r] for the backward. T: float, double.
template <typename T>
void layer_norm_forward(const T* x, const T* weight, const T* bias, double eps, T* y, T* mean,
                        T* rstd, int64_t rows, int64_t cols);

// T: float, double.
template <typename T>
void layer_norm_backward(const T* grad_y, const T* x, const T* mean, const T* rstd, const T* weight,
                         T* grad_x, T* grad_weight, T* grad_bias, int64_t rows, int64_t cols);

// Writes y, and mean[n * groups + g] and rstd[n * groups + g]. T: float, double.
template <typename T>
void group_norm_forward(const T* x, const T* weight, const T* bias, double eps, T* y, T* mean,
                        T* rstd, GroupNormShape shape);

// T: float, double.
template <typename T>
void group_norm_backward(const T* grad_y, const T* x, const T* mean, const T* rstd, const T* weight,
                         T* grad_x, T* grad_weight, T* grad_bias, GroupNormShape shape);

}  // namespace fovea::kernels::cpu
