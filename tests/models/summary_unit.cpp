// `fovea summary`'s multiply-accumulate count against the GMACs timm publishes for its
// models at 224 (timm's results tables, which give two digits after the point).
#include <gtest/gtest.h>

#include <cmath>

#include "layers/init.h"
#include "models/model.h"
#include "models/summary.h"

namespace fovea {
namespace {

double gmacs(const std::string& name) {
  ModelPtr model;
  {
    init::SkipInitGuard skip;  // counting needs shapes, not values
    model = create_model(name);
  }
  model->eval();
  return static_cast<double>(summarize(*model, 224).total_macs) / 1e9;
}

// fvcore's rules, which timm's published GMACs follow: convolutions, linear layers,
// attention's two matrix products, and the norms per element. The issue asks for 2%.
void expect_gmacs(const std::string& name, double published) {
  const double counted = gmacs(name);
  EXPECT_NEAR(counted, published, 0.02 * published) << name << " counted " << counted;
}

TEST(Summary, CountsResNetAndDenseNetMacsAsTimmPublishes) {
  expect_gmacs("resnet18", 1.82);
  expect_gmacs("resnet50", 4.11);
  expect_gmacs("densenet121", 2.87);
}

TEST(Summary, CountsEfficientNetAndConvNeXtMacsAsTimmPublishes) {
  expect_gmacs("efficientnet_b0", 0.40);
  expect_gmacs("convnext_tiny", 4.47);
}

TEST(Summary, CountsTransformerMacsIncludingAttention) {
  expect_gmacs("vit_base_patch16_224", 17.58);
  expect_gmacs("swin_tiny_patch4_window7_224", 4.51);
}

}  // namespace
}  // namespace fovea
