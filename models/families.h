#pragma once
// Each models/<family>.cpp lists its models here; models/registry.cpp concatenates the
// lists in this order, which is the order `fovea models` prints.
#include <vector>

#include "models/model.h"

namespace fovea {

std::vector<ModelInfo> simple_models();    // simple_cnn (the seeds' Custom_1), logreg
std::vector<ModelInfo> regnet_models();    // regnety_008, regnety_080 and their _tv widths
std::vector<ModelInfo> convnext_models();  // convnext_tiny

}  // namespace fovea
