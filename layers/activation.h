#pragma once
// Activation functions as modules (nn.ReLU, nn.GELU, ...), and a factory by name so that
// model tables can say "silu" or "hard_swish" the way timm's act_layer strings do.
#include <string>

#include "layers/module.h"

namespace fovea {

enum class ActivationKind {
  identity,
  relu,
  relu6,
  gelu,
  gelu_tanh,
  silu,
  sigmoid,
  tanh,
  hardswish,
  hardsigmoid
};

class Activation : public Module {
 public:
  explicit Activation(ActivationKind kind);
  Tensor forward(const Tensor& x) override;
  ActivationKind kind() const { return kind_; }

 private:
  ActivationKind kind_;
};

// "relu", "relu6", "gelu", "gelu_tanh", "silu" (or "swish"), "sigmoid", "tanh",
// "hard_swish", "hard_sigmoid", "identity"; anything else is an error listing these.
ActivationKind activation_kind(const std::string& name);
std::shared_ptr<Activation> make_activation(const std::string& name);
// Applies the activation without a module.
Tensor activate(ActivationKind kind, const Tensor& x);

}  // namespace fovea
