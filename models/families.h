#pragma once
// Each models/<family>.cpp lists its models here; models/registry.cpp concatenates the
// lists in this order, which is the order `fovea models` prints.
#include <vector>

#include "models/model.h"

namespace fovea {

std::vector<ModelInfo> simple_models();  // simple_cnn (the seeds' Custom_1), logreg
std::vector<ModelInfo> resnet_models();    // resnet18-152, resnext50_32x4d, seresnext50_32x4d
std::vector<ModelInfo> densenet_models();  // densenet121/169/201, chexnet
std::vector<ModelInfo> efficientnet_models();
std::vector<ModelInfo> mobilenet_models();
std::vector<ModelInfo> vit_models();     // vit_base/large_patch16_224, raddino
std::vector<ModelInfo> coatnet_models();  // coatnet_0_rw_224
std::vector<ModelInfo> swin_models();    // swin_tiny_patch4_window7_224
std::vector<ModelInfo> swinv2_models();  // swinv2_tiny_window8_256

}  // namespace fovea
