#include "layers/activation.h"

#include <utility>
#include <vector>

#include "engine/ops/activation.h"

namespace fovea {

namespace {

struct NamedKind {
  const char* name;
  const char* module_name;  // PyTorch's class name, shown by summaries
  ActivationKind kind;
};

const std::vector<NamedKind>& kinds() {
  static const std::vector<NamedKind> table = {
      {"identity", "Identity", ActivationKind::identity},
      {"relu", "ReLU", ActivationKind::relu},
      {"relu6", "ReLU6", ActivationKind::relu6},
      {"gelu", "GELU", ActivationKind::gelu},
      {"gelu_tanh", "GELUTanh", ActivationKind::gelu_tanh},
      {"silu", "SiLU", ActivationKind::silu},
      {"swish", "SiLU", ActivationKind::silu},
      {"sigmoid", "Sigmoid", ActivationKind::sigmoid},
      {"tanh", "Tanh", ActivationKind::tanh},
      {"hard_swish", "Hardswish", ActivationKind::hardswish},
      {"hard_sigmoid", "Hardsigmoid", ActivationKind::hardsigmoid},
  };
  return table;
}

const char* module_name(ActivationKind kind) {
  for (const NamedKind& k : kinds()) {
    if (k.kind == kind) return k.module_name;
  }
  return "Activation";
}

}  // namespace

ActivationKind activation_kind(const std::string& name) {
  std::vector<std::string> known;
  for (const NamedKind& k : kinds()) {
    if (name == k.name) return k.kind;
    known.emplace_back(k.name);
  }
  fail("unknown activation '{}': expected one of {}", name, fmt::join(known, ", "));
}

Activation::Activation(ActivationKind kind) : Module(module_name(kind)), kind_(kind) {}

Tensor Activation::forward(const Tensor& x) {
  return activate(kind_, x);
}

std::shared_ptr<Activation> make_activation(const std::string& name) {
  return std::make_shared<Activation>(activation_kind(name));
}

Tensor activate(ActivationKind kind, const Tensor& x) {
  switch (kind) {
    case ActivationKind::identity:
      return x;
    case ActivationKind::relu:
      return relu(x);
    case ActivationKind::relu6:
      return relu6(x);
    case ActivationKind::gelu:
      return gelu(x);
    case ActivationKind::gelu_tanh:
      return gelu(x, "tanh");
    case ActivationKind::silu:
      return silu(x);
    case ActivationKind::sigmoid:
      return sigmoid(x);
    case ActivationKind::tanh:
      return tanh(x);
    case ActivationKind::hardswish:
      return hardswish(x);
    case ActivationKind::hardsigmoid:
      return hardsigmoid(x);
  }
  return x;
}

}  // namespace fovea
