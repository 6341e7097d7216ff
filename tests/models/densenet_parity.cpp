// DenseNets against torchvision 0.14, and CheXNet against a 14-output torchvision
// densenet121 saved under the CheXNet checkpoint's names (tests/reference/
// ref_models_densenet.py).
#include <gtest/gtest.h>

#include "tests/support/model_parity.h"

namespace fovea {
namespace {

using testing::check_model_parity;

void check_torchvision(const std::string& name, int64_t img_size) {
  check_model_parity(
      name, "models_densenet/" + name,
      {.source = WeightSource::torchvision, .config = {.num_classes = 10, .img_size = img_size}});
}

TEST(DenseNetParity, DenseNet121) {
  check_torchvision("densenet121", 64);
}
TEST(DenseNetParity, DenseNet169) {
  check_torchvision("densenet169", 32);
}
TEST(DenseNetParity, DenseNet201) {
  check_torchvision("densenet201", 32);
}

TEST(DenseNetParity, CheXNetFromTheCheXNetCheckpointNames) {
  // The default class count gives CheXNet's 14 labels.
  check_model_parity("chexnet", "models_densenet/chexnet",
                     {.source = WeightSource::torchvision, .config = {.img_size = 32}});
}

}  // namespace
}  // namespace fovea
