#include "layers/mlp.h"

namespace fovea {

Mlp::Mlp(int64_t in_features, int64_t hidden_features, int64_t out_features, const std::string& act,
         double drop, bool bias)
    : Module("Mlp"),
      act_(activation_kind(act)),
      drop1_(std::make_shared<Dropout>(drop)),
      drop2_(std::make_shared<Dropout>(drop)) {
  if (out_features < 0) out_features = in_features;
  fc1 = register_module("fc1", std::make_shared<Linear>(in_features, hidden_features, bias));
  register_module("drop1", drop1_);
  fc2 = register_module("fc2", std::make_shared<Linear>(hidden_features, out_features, bias));
  register_module("drop2", drop2_);
}

Tensor Mlp::forward(const Tensor& x) {
  Tensor h = (*drop1_)(activate(act_, (*fc1)(x)));
  return (*drop2_)((*fc2)(h));
}

}  // namespace fovea
