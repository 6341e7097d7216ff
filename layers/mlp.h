#pragma once
// The transformer MLP (timm's Mlp): fc1 -> act -> drop -> fc2 -> drop, on [..., C].
#include "layers/activation.h"
#include "layers/linear.h"
#include "layers/regularization.h"

namespace fovea {

class Mlp : public Module {
 public:
  Mlp(int64_t in_features, int64_t hidden_features, int64_t out_features = -1,
      const std::string& act = "gelu", double drop = 0.0, bool bias = true);
  Tensor forward(const Tensor& x) override;

  std::shared_ptr<Linear> fc1, fc2;

 private:
  ActivationKind act_;
  std::shared_ptr<Dropout> drop1_, drop2_;
};

}  // namespace fovea
