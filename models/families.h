#pragma once
// Each models/<family>.cpp lists its models here; models/registry.cpp concatenates the
// lists in this order, which is the order `fovea models` prints.
#include <vector>

#include "models/model.h"

namespace fovea {

std::vector<ModelInfo> simple_models();  // simple_cnn (the seeds' Custom_1), logreg
std::vector<ModelInfo> vit_models();     // vit_base/large_patch16_224, raddino
std::vector<ModelInfo> coatnet_models();  // coatnet_0_rw_224

}  // namespace fovea
