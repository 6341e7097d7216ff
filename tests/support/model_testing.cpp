#include "tests/support/model_testing.h"

namespace fovea::testing {

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
