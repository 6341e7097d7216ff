#pragma once
// Linear: y = x W^T + b over the last dim, as nn.Linear (weight [out, in]).
#include "layers/module.h"

namespace fovea {

class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& x) override;
  int64_t in_features() const { return weight.size(1); }
  int64_t out_features() const { return weight.size(0); }

  Tensor weight;  // [out, in]
  Tensor bias;    // [out], undefined without bias
};

}  // namespace fovea
