// ConvNeXt-T against torchvision's convnext_tiny (through the key map and the layer-scale
// reshape) and against timm's.
#include <gtest/gtest.h>

#include "tests/support/model_parity.h"

namespace fovea {
namespace {

using testing::check_model_parity;

const ModelConfig kConfig{.num_classes = 10, .img_size = 64};

TEST(ConvNeXtParity, TinyAgainstTorchvision) {
  check_model_parity("convnext_tiny", "models_convnext/convnext_tiny_torchvision",
                     {.source = WeightSource::torchvision, .config = kConfig});
}

TEST(ConvNeXtParity, TinyAgainstTimm) {
  check_model_parity("convnext_tiny", "models_convnext/convnext_tiny",
                     {.source = WeightSource::timm, .config = kConfig});
}

}  // namespace
}  // namespace fovea
