#pragma once
// Activation functions as differentiable ops (the modules in layers/ wrap these).
#include <string>

#include "engine/tensor.h"

namespace fovea {

Tensor relu(const Tensor& x);
Tensor relu6(const Tensor& x);
// approximate: "none" (the exact erf form) or "tanh", as in torch.nn.functional.gelu.
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
Tensor silu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor hardswish(const Tensor& x);
Tensor hardsigmoid(const Tensor& x);
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);

}  // namespace fovea
