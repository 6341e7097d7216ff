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
  double rtol = 1e-4;  // f32 logits, relative to the largest reference magnitude
  // f64 logits and gradients, element-wise, likewise: the reference is stored in f32, so
  // 6e-8 of each element is its own rounding (the worst model measured 3.6e-8).
  double f64_rtol = 2e-7;
  // f32 gradients, ||got - ref|| / ||ref||: ReLU flips (model_parity.cpp) cost densenet121
  // 1.1e-2 on an AVX2 machine; every other model stays under 7e-4.
  double f32_grad_norm_rtol = 5e-2;
};

// Imports the reference weights into fovea's `model_name`, runs it in eval mode in f32 and
// again in f64, and compares logits, the input gradient, and every stored parameter
// gradient with the reference (computed in f64).
void check_model_parity(const std::string& model_name, const std::string& reference_file,
                        const ModelParityOptions& options = {});

}  // namespace fovea::testing
