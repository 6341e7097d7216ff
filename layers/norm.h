#pragma once
// Normalisation layers. fovea is NHWC, so channels are the last dim everywhere:
// BatchNorm2d normalises each channel over (N, H, W), LayerNorm normalises the last dim
// (which makes it timm's LayerNorm2d too), GroupNorm normalises groups of channels.
#include "layers/activation.h"
#include "layers/module.h"

namespace fovea {

// With an activation it is timm's BatchNormAct2d (same state_dict): the activation is
// applied to the output, for relu and silu in the same pass as the normalisation on every
// device.
class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t channels, double eps = 1e-5, double momentum = 0.1,
                       ActivationKind activation = ActivationKind::identity);
  Tensor forward(const Tensor& x) override;

  Tensor weight, bias;               // [C]
  Tensor running_mean, running_var;  // [C]
  Tensor num_batches_tracked;        // i64 scalar, as in PyTorch state_dicts
  double eps, momentum;
  ActivationKind activation;
};

class LayerNorm : public Module {
 public:
  explicit LayerNorm(int64_t channels, double eps = 1e-5, bool affine = true);
  Tensor forward(const Tensor& x) override;

  Tensor weight, bias;  // [C]
  double eps;
};

class GroupNorm : public Module {
 public:
  GroupNorm(int64_t num_groups, int64_t channels, double eps = 1e-5, bool affine = true);
  Tensor forward(const Tensor& x) override;

  Tensor weight, bias;  // [C]
  int64_t num_groups;
  double eps;
};

}  // namespace fovea
