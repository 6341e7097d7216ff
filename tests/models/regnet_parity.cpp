// RegNetY against timm (the paper's widths and the _tv widths) and against torchvision's
// regnet_y_800mf / regnet_y_8gf (timm's _tv widths, through the torchvision key map). The
// 800MF models run two 64x64 images, the 8GF models one 32x32 image.
#include <gtest/gtest.h>

#include "tests/support/model_parity.h"

namespace fovea {
namespace {

using testing::check_model_parity;

const ModelConfig kConfig800MF{.num_classes = 10, .img_size = 64};
const ModelConfig kConfig8GF{.num_classes = 10, .img_size = 32};

TEST(RegNetParity, Regnety008AgainstTimm) {
  check_model_parity("regnety_008", "models_regnet/regnety_008",
                     {.source = WeightSource::timm, .config = kConfig800MF});
}

TEST(RegNetParity, Regnety008TvAgainstTimm) {
  check_model_parity("regnety_008_tv", "models_regnet/regnety_008_tv",
                     {.source = WeightSource::timm, .config = kConfig800MF});
}

TEST(RegNetParity, Regnety008TvAgainstTorchvision) {
  check_model_parity("regnety_008_tv", "models_regnet/regnet_y_800mf",
                     {.source = WeightSource::torchvision, .config = kConfig800MF});
}

TEST(RegNetParity, Regnety080AgainstTimm) {
  check_model_parity("regnety_080", "models_regnet/regnety_080",
                     {.source = WeightSource::timm, .config = kConfig8GF});
}

TEST(RegNetParity, Regnety080TvAgainstTorchvision) {
  check_model_parity("regnety_080_tv", "models_regnet/regnet_y_8gf",
                     {.source = WeightSource::torchvision, .config = kConfig8GF});
}

}  // namespace
}  // namespace fovea
