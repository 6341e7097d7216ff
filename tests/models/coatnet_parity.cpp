// coatnet_0_rw_224 against timm 0.9.16 with the same weights, at 64x64 (torchvision has
// no CoAtNet).
#include <gtest/gtest.h>

#include "tests/support/model_parity.h"

namespace fovea {
namespace {

TEST(ModelParity, CoatNet0RwTimm) {
  testing::check_model_parity(
      "coatnet_0_rw_224", "models_coatnet/coatnet_0_rw_224",
      {.source = WeightSource::timm, .config = {.num_classes = 10, .img_size = 64}});
}

}  // namespace
}  // namespace fovea
