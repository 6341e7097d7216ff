// Swin v2 against torchvision's swin_v2_t (key map plus the qkv bias split) and timm's
// swinv2_tiny_window8_256 (windows clamped to the grid at 64), with the same weights.
#include <gtest/gtest.h>

#include "tests/support/model_parity.h"

namespace fovea {
namespace {

using testing::check_model_parity;

TEST(ModelParity, SwinV2TinyTorchvision) {
  check_model_parity("swinv2_tiny_window8_256", "models_swinv2/swin_v2_t_tv",
                     {.source = WeightSource::torchvision, .config = {.num_classes = 10}});
}

TEST(ModelParity, SwinV2TinyTimmAt64) {
  check_model_parity("swinv2_tiny_window8_256", "models_swinv2/swinv2_tiny_timm_64",
                     {.source = WeightSource::timm, .config = {.num_classes = 10, .img_size = 64}});
}

}  // namespace
}  // namespace fovea
