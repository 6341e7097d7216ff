#include "tests/support/model_testing.h"

namespace fovea::testing {

Shape state_shape(const Module& model, const std::string& key) {
  return state_shape(model.state_dict(), key);
}

Shape state_shape(const TensorMap& state, const std::string& key) {
  auto it = state.find(key);
  if (it == state.end()) {
    ADD_FAILURE() << "no state_dict key " << key;
    return {};
  }
  return it->second.shape();
}

void expect_torchvision_keys(const std::string& model_name,
                             const std::vector<std::pair<std::string, std::string>>& renames) {
  const KeyMap& map = model_info(model_name).torchvision_keys;
  ASSERT_TRUE(map) << model_name << " has no torchvision key map";
  for (const auto& [torchvision_key, timm_key] : renames) {
    EXPECT_EQ(map(torchvision_key), timm_key) << torchvision_key;
  }
}

std::map<std::string, double> drop_path_rates_by_name(Model& model) {
  std::map<std::string, double> rates;
  for (const auto& [name, module] : model.named_modules()) {
    if (auto* drop = dynamic_cast<DropPath*>(module)) rates[name] = drop->p;
  }
  return rates;
}

size_t bytes_held_by_forward(Model& model, const Tensor& x) {
  const size_t before = cpu_allocator().stats().current_bytes;
  const Tensor logits = model.forward(x);
  return cpu_allocator().stats().current_bytes - before;
}

TensorMap training_step_gradients(Model& model, const Tensor& x) {
  model.zero_grad();
  manual_seed(7);
  Tensor input = x.detach().clone();
  input.requires_grad_(true);
  const Tensor logits = model.forward(input);
  sum(mul(logits, logits)).backward();
  TensorMap grads{{"input", input.grad()}};
  for (const auto& [name, p] : model.named_parameters()) grads[name] = p.grad().clone();
  return grads;
}

void expect_checkpointing_keeps_gradients(Model& model, const Tensor& x, double atol, double rtol) {
  model.set_grad_checkpointing(false);
  const TensorMap plain = training_step_gradients(model, x);
  model.set_grad_checkpointing(true);
  const TensorMap checkpointed = training_step_gradients(model, x);
  ASSERT_EQ(plain.size(), checkpointed.size());
  for (const auto& [name, grad] : plain) {
    EXPECT_TRUE(all_close(checkpointed.at(name), grad, atol, rtol)) << name;
  }
}

}  // namespace fovea::testing
