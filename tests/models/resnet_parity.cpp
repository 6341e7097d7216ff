// ResNets and ResNeXt against torchvision 0.14 (through the importer's torchvision path),
// and SE-ResNeXt against timm, with the same weights (tests/reference/ref_models_resnet.py).
#include <gtest/gtest.h>

#include "tests/support/model_parity.h"

namespace fovea {
namespace {

using testing::check_model_parity;

void check_torchvision(const std::string& name, int64_t img_size) {
  check_model_parity(
      name, "models_resnet/" + name,
      {.source = WeightSource::torchvision, .config = {.num_classes = 10, .img_size = img_size}});
}

TEST(ResNetParity, ResNet18) {
  check_torchvision("resnet18", 64);
}
TEST(ResNetParity, ResNet34) {
  check_torchvision("resnet34", 64);
}
TEST(ResNetParity, ResNet50) {
  check_torchvision("resnet50", 64);
}
TEST(ResNetParity, ResNet101) {
  check_torchvision("resnet101", 32);
}
TEST(ResNetParity, ResNet152) {
  check_torchvision("resnet152", 32);
}
TEST(ResNetParity, ResNeXt50) {
  check_torchvision("resnext50_32x4d", 64);
}

TEST(ResNetParity, SeResNeXt50AgainstTimm) {
  check_model_parity("seresnext50_32x4d", "models_resnet/seresnext50_32x4d",
                     {.source = WeightSource::timm, .config = {.num_classes = 10, .img_size = 64}});
}

}  // namespace
}  // namespace fovea
