#pragma once
// Whole-model parity against PyTorch: the reference (tests/reference/ref_models_*.py via
// common.model_case) holds a PyTorch model's state_dict, an input, its logits, and the
// gradients of the input and of a few parameters for a given upstream gradient.
#include <string>

#include "models/import.h"
#include "tests/support/testing.h"

namespace fovea::testing {

struct ModelParityOptions {
  WeightSource source = WeightSource::torchvision;
  ModelConfig config{};
  double rtol = 1e-4;  // relative to the largest reference magnitude of each tensor
};

// Imports the reference weights into fovea's `model_name`, runs it in eval mode, and
// compares logits, the input gradient, and every stored parameter gradient.
void check_model_parity(const std::string& model_name, const std::string& reference_file,
                        const ModelParityOptions& options = {});

}  // namespace fovea::testing
