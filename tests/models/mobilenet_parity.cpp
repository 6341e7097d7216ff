// MobileNetV2 against torchvision 0.14 (through the key map) and timm 0.9.16, and
// MobileNetV3-Large against timm (torchvision's differs: BatchNorm eps 1e-3, Linear head),
// with the same random weights (tests/reference/ref_models_mobilenet.py).
#include <gtest/gtest.h>

#include "tests/support/model_parity.h"

namespace fovea {
namespace {

using testing::check_model_parity;

TEST(MobileNetParity, V2Torchvision) {
  check_model_parity("mobilenetv2_100", "models_mobilenet/tv_mobilenetv2_100",
                     {.source = WeightSource::torchvision, .config = {.num_classes = 10}});
}

TEST(MobileNetParity, V2Timm) {
  check_model_parity("mobilenetv2_100", "models_mobilenet/timm_mobilenetv2_100",
                     {.source = WeightSource::timm, .config = {.num_classes = 10}});
}

TEST(MobileNetParity, V3LargeTimm) {
  check_model_parity("mobilenetv3_large_100", "models_mobilenet/timm_mobilenetv3_large_100",
                     {.source = WeightSource::timm, .config = {.num_classes = 10}});
}

}  // namespace
}  // namespace fovea
