#pragma once
// Checks every model family's unit tests share.
#include <map>
#include <string>

#include "models/model.h"
#include "tests/support/testing.h"

namespace fovea::testing {

// The shape of state[key] or model.state_dict()[key]; a missing key fails the test and
// gives {}.
Shape state_shape(const TensorMap& state, const std::string& key);
Shape state_shape(const Module& model, const std::string& key);

// Expects model_info(model_name).torchvision_keys to rename each torchvision key to the
// timm name paired with it ("" where the key is dropped), naming any key it renames
// otherwise.
void expect_torchvision_keys(const std::string& model_name,
                             const std::vector<std::pair<std::string, std::string>>& renames);

// The bytes the CPU allocator still holds after model.forward(x) returns, with its graph
// alive: what a training step keeps for backward.
size_t bytes_held_by_forward(Model& model, const Tensor& x);

// Every DropPath's rate, by module name ("stages.1.blocks.0.drop_path").
std::map<std::string, double> drop_path_rates_by_name(Model& model);

// The gradients of one training step on `x` (loss sum(logits^2); dropout and drop-path
// masks drawn from a fixed seed): "input" and every parameter by name.
TensorMap training_step_gradients(Model& model, const Tensor& x);

// Gradient checkpointing recomputes each segment in backward, replaying its random masks,
// so it must not change any gradient: expects the gradients of a training step with it on
// to equal those with it off, within atol + rtol * |plain|. Leaves it on.
void expect_checkpointing_keeps_gradients(Model& model, const Tensor& x, double atol = 0,
                                          double rtol = 0);

}  // namespace fovea::testing
