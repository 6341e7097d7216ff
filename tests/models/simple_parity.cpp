// simple_cnn and logreg against PyTorch twins with the same weights.
#include <gtest/gtest.h>

#include "tests/support/model_parity.h"

namespace fovea {
namespace {

using testing::check_model_parity;

TEST(ModelParity, SimpleCnn) {
  check_model_parity(
      "simple_cnn", "models_simple/simple_cnn",
      {.source = WeightSource::timm, .config = {.num_classes = 10, .in_chans = 1, .img_size = 28}});
}

TEST(ModelParity, LogisticRegression) {
  check_model_parity(
      "logreg", "models_simple/logreg",
      {.source = WeightSource::timm, .config = {.num_classes = 10, .in_chans = 1, .img_size = 28}});
}

}  // namespace
}  // namespace fovea
