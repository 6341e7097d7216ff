#pragma once
// Each models/<family>.cpp lists its models here; models/registry.cpp concatenates the
// lists in this order, which is the order `fovea models` prints.
#include <vector>

#include "models/model.h"

namespace fovea {

std::vector<ModelInfo> simple_models();        // simple_cnn (the seeds' Custom_1), logreg
std::vector<ModelInfo> resnet_models();        // resnet18-152, resnext50_32x4d, seresnext50_32x4d
std::vector<ModelInfo> densenet_models();      // densenet121/169/201, chexnet
std::vector<ModelInfo> efficientnet_models();  // efficientnet_b0-b4
std::vector<ModelInfo> mobilenet_models();     // mobilenetv2_100, mobilenetv3_large_100
std::vector<ModelInfo> regnet_models();        // regnety_008, regnety_080 and their _tv widths
std::vector<ModelInfo> convnext_models();      // convnext_tiny
std::vector<ModelInfo> vit_models();           // vit_base/large_patch16_224, raddino
std::vector<ModelInfo> swin_models();          // swin_tiny_patch4_window7_224
std::vector<ModelInfo> swinv2_models();        // swinv2_tiny_window8_256
std::vector<ModelInfo> coatnet_models();       // coatnet_0_rw_224

}  // namespace fovea
