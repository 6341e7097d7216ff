// Swin v1 against torchvision's swin_t (through the key map) and timm's
// swin_tiny_patch4_window7_224 (padded and clamped windows at 64), with the same weights.
#include <gtest/gtest.h>

#include "tests/support/model_parity.h"

namespace fovea {
namespace {

using testing::check_model_parity;

TEST(ModelParity, SwinTinyTorchvision) {
  check_model_parity("swin_tiny_patch4_window7_224", "models_swin/swin_t_tv",
                     {.source = WeightSource::torchvision, .config = {.num_classes = 10}});
}

TEST(ModelParity, SwinTinyTimmAt64) {
  check_model_parity("swin_tiny_patch4_window7_224", "models_swin/swin_tiny_timm_64",
                     {.source = WeightSource::timm, .config = {.num_classes = 10, .img_size = 64}});
}

}  // namespace
}  // namespace fovea
