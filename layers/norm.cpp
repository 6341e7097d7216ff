#include "layers/norm.h"

#include "engine/ops/norm.h"

namespace fovea {

BatchNorm2d::BatchNorm2d(int64_t channels, double eps_, double momentum_,
                         ActivationKind activation_)
    : Module("BatchNorm2d"), eps(eps_), momentum(momentum_), activation(activation_) {
  register_parameter("weight", &weight, ones({channels}));
  register_parameter("bias", &bias, zeros({channels}));
  register_buffer("running_mean", &running_mean, zeros({channels}));
  register_buffer("running_var", &running_var, ones({channels}));
  register_buffer("num_batches_tracked", &num_batches_tracked, zeros({}, {.dtype = DType::i64}));
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  if (is_training()) {
    NoGradGuard no_grad;
    add_(num_batches_tracked, 1.0);
  }
  using kernels::NormActivation;
  const NormActivation fused = activation == ActivationKind::relu   ? NormActivation::relu
                               : activation == ActivationKind::silu ? NormActivation::silu
                                                                    : NormActivation::none;
  const Tensor y =
      batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum, eps, fused);
  return fused == NormActivation::none ? activate(activation, y) : y;
}

LayerNorm::LayerNorm(int64_t channels, double eps_, bool affine) : Module("LayerNorm"), eps(eps_) {
  if (affine) {
    register_parameter("weight", &weight, ones({channels}));
    register_parameter("bias", &bias, zeros({channels}));
  }
}

Tensor LayerNorm::forward(const Tensor& x) {
  return layer_norm(x, {x.size(-1)}, weight, bias, eps);
}

GroupNorm::GroupNorm(int64_t groups, int64_t channels, double eps_, bool affine)
    : Module("GroupNorm"), num_groups(groups), eps(eps_) {
  FOVEA_CHECK(groups > 0 && channels % groups == 0,
              "GroupNorm: {} channels do not divide into {} groups", channels, groups);
  if (affine) {
    register_parameter("weight", &weight, ones({channels}));
    register_parameter("bias", &bias, zeros({channels}));
  }
}

Tensor GroupNorm::forward(const Tensor& x) {
  return group_norm(x, num_groups, weight, bias, eps);
}

}  // namespace fovea
