// EfficientNet-B0..B4 against torchvision 0.14 (through the key map), and B0 and B4
// against timm 0.9.16, with the same random weights and norm statistics
// (tests/reference/ref_models_efficientnet.py).
#include <gtest/gtest.h>

#include "tests/support/model_parity.h"

namespace fovea {
namespace {

using testing::check_model_parity;

class EfficientNetParity : public ::testing::TestWithParam<std::string> {};

TEST_P(EfficientNetParity, Torchvision) {
  check_model_parity(GetParam(), "models_efficientnet/tv_" + GetParam(),
                     {.source = WeightSource::torchvision, .config = {.num_classes = 10}});
}

INSTANTIATE_TEST_SUITE_P(Models, EfficientNetParity,
                         ::testing::Values("efficientnet_b0", "efficientnet_b1", "efficientnet_b2",
                                           "efficientnet_b3", "efficientnet_b4"),
                         [](const auto& info) { return info.param; });

TEST(EfficientNetTimmParity, B0) {
  check_model_parity("efficientnet_b0", "models_efficientnet/timm_efficientnet_b0",
                     {.source = WeightSource::timm, .config = {.num_classes = 10}});
}

TEST(EfficientNetTimmParity, B4) {
  check_model_parity("efficientnet_b4", "models_efficientnet/timm_efficientnet_b4",
                     {.source = WeightSource::timm, .config = {.num_classes = 10}});
}

}  // namespace
}  // namespace fovea
