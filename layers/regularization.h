#pragma once
// Dropout and DropPath (stochastic depth, Huang et al. 2016): both are the identity in
// eval mode and draw their masks from the default Philox generator in training.
#include "layers/module.h"

namespace fovea {

class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor& x) override;
  double p;
};

// Drops a whole residual branch per sample, as timm's DropPath.
class DropPath : public Module {
 public:
  explicit DropPath(double p = 0.0);
  Tensor forward(const Tensor& x) override;
  double p;
};

}  // namespace fovea
