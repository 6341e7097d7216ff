#pragma once
// Differentiable normalisation ops: batch norm, layer norm and group norm. fovea is NHWC,
// so channels are always the LAST dim: layer_norm over [C] is also ConvNeXt's
// LayerNorm2d. Under autocast all three compute in f32 (AutocastPolicy::fp32) and return
// f32, like torch.autocast; otherwise the result has the input's dtype. Statistics
// accumulate in double on the CPU.
#include "engine/tensor.h"
#include "kernels/norm.h"

namespace fovea {

// x: [..., C] (images [N, H, W, C], or [N, C]); statistics per channel over every other
// dim. weight, bias, running_mean and running_var are [C] and may be undefined
// (affine=false, track_running_stats=false). In training mode, x is normalised with the
// batch mean and biased variance, and defined running stats are updated in place (no
// autograd), as PyTorch does:
//   running_mean = (1 - momentum) * running_mean + momentum * batch_mean
//   running_var  = (1 - momentum) * running_var  + momentum * unbiased_batch_var.
// In eval mode the running stats normalise x and must be defined. Differentiable in x,
// weight and bias. `activation` (relu or silu) is applied to the output, as timm's
// BatchNormAct2d does, in the same pass on both devices: the op records ONE autograd node,
// and its backward recomputes the pre-activation from x and the saved statistics. The
// result equals batch_norm followed by relu() or silu().
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor running_mean,
                  Tensor running_var, bool training, double momentum = 0.1, double eps = 1e-5,
                  kernels::NormActivation activation = kernels::NormActivation::none);

// Normalises over the trailing dims of x given by `normalized_shape` (usually just [C]);
// weight and bias, when defined, have shape `normalized_shape`.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

// x: [N, ..., C] with rank >= 2 (NHWC images, [N, C], [N, L, C]). The channels form
// `num_groups` runs of C / num_groups consecutive channels; statistics per (sample, group)
// over every position and the group's channels; weight and bias are per channel ([C]).
Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

}  // namespace fovea
