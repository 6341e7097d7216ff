#pragma once
// Each models/<family>.cpp lists its models here; models/registry.cpp concatenates the
// lists in this order, which is the order `fovea models` prints.
#include <vector>

#include "models/model.h"

namespace fovea {

std::vector<ModelInfo> simple_models();  // simple_cnn (the seeds' Custom_1), logreg
std::vector<ModelInfo> swin_models();    // swin_tiny_patch4_window7_224
std::vector<ModelInfo> swinv2_models();  // swinv2_tiny_window8_256

}  // namespace fovea
