// ConvNeXt: the exact timm parameter count, timm's state_dict names, the torchvision key
// map and layer-scale reshape, input variants, drop rates, gradient checkpointing and
// timm's init.
#include <gtest/gtest.h>

#include <cmath>

#include "layers/regularization.h"
#include "models/import.h"
#include "tests/support/model_testing.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

bool has(const Model& model, const std::string& key) {
  return model.state_dict().count(key) > 0;
}

// Creating a ConvNeXt-T costs a second or two, and ctest runs each test in a process of its
// own, so each test builds one model and checks all it can on it.

TEST(ConvNeXt, TinyHasTimmsParameterCountNamesAndInit) {
  manual_seed(0);
  ModelPtr model = create_model("convnext_tiny");
  EXPECT_EQ(model->num_parameters(), 28'589'128);
  EXPECT_EQ(testing::state_shape(*model, "stem.0.weight"), (Shape{96, 4, 4, 3}));
  EXPECT_EQ(testing::state_shape(*model, "stem.1.bias"), (Shape{96}));
  EXPECT_FALSE(has(*model, "stages.0.downsample.0.weight"));  // the stem already downsampled
  EXPECT_EQ(testing::state_shape(*model, "stages.1.downsample.0.weight"), (Shape{96}));
  EXPECT_EQ(testing::state_shape(*model, "stages.1.downsample.1.weight"), (Shape{192, 2, 2, 96}));
  EXPECT_EQ(testing::state_shape(*model, "stages.2.blocks.8.conv_dw.weight"),
            (Shape{384, 7, 7, 1}));
  EXPECT_EQ(testing::state_shape(*model, "stages.2.blocks.8.norm.weight"), (Shape{384}));
  EXPECT_EQ(testing::state_shape(*model, "stages.2.blocks.8.gamma"), (Shape{384}));
  EXPECT_EQ(testing::state_shape(*model, "stages.3.blocks.2.mlp.fc1.weight"), (Shape{3072, 768}));
  EXPECT_EQ(testing::state_shape(*model, "stages.3.blocks.2.mlp.fc2.weight"), (Shape{768, 3072}));
  EXPECT_FALSE(has(*model, "stages.3.blocks.3.gamma"));
  EXPECT_EQ(testing::state_shape(*model, "head.norm.weight"), (Shape{768}));
  EXPECT_EQ(testing::state_shape(*model, "head.fc.weight"), (Shape{1000, 768}));
  EXPECT_EQ(model->state_dict().size(), 182u);  // as timm's: no buffers

  // timm's init: truncated normal (std 0.02) for every conv and linear weight, zero biases,
  // and layer scale at 1e-6, so that each block starts close to the identity.
  const TensorMap state = model->state_dict();
  const auto std_of = [](const Tensor& t) { return std::sqrt(var(t.flatten(), {0}).item()); };
  EXPECT_NEAR(std_of(state.at("stages.3.blocks.1.mlp.fc1.weight")), 0.02, 2e-4);
  EXPECT_NEAR(std_of(state.at("stages.2.blocks.0.conv_dw.weight")), 0.02, 1e-3);
  EXPECT_NEAR(std_of(state.at("head.fc.weight")), 0.02, 2e-4);
  EXPECT_EQ(max(abs(state.at("stages.3.blocks.1.mlp.fc1.bias"))).item(), 0.0);
  EXPECT_EQ(max(abs(state.at("stem.0.bias"))).item(), 0.0);
  EXPECT_NEAR(max(abs(state.at("stages.1.blocks.2.gamma"))).item(), 1e-6, 1e-12);
}

TEST(ConvNeXt, TorchvisionKeysAndShapesMapToTimms) {
  const ModelInfo& info = model_info("convnext_tiny");
  const KeyMap& map = info.torchvision_keys;
  EXPECT_EQ(map("features.0.0.weight"), "stem.0.weight");
  EXPECT_EQ(map("features.0.1.bias"), "stem.1.bias");
  EXPECT_EQ(map("features.1.2.block.0.weight"), "stages.0.blocks.2.conv_dw.weight");
  EXPECT_EQ(map("features.5.8.block.2.bias"), "stages.2.blocks.8.norm.bias");
  EXPECT_EQ(map("features.7.0.block.3.weight"), "stages.3.blocks.0.mlp.fc1.weight");
  EXPECT_EQ(map("features.7.0.block.5.bias"), "stages.3.blocks.0.mlp.fc2.bias");
  EXPECT_EQ(map("features.3.1.layer_scale"), "stages.1.blocks.1.gamma");
  EXPECT_EQ(map("features.2.0.weight"), "stages.1.downsample.0.weight");
  EXPECT_EQ(map("features.6.1.bias"), "stages.3.downsample.1.bias");
  EXPECT_EQ(map("classifier.0.weight"), "head.norm.weight");
  EXPECT_EQ(map("classifier.2.bias"), "head.fc.bias");
  // torchvision's [C, 1, 1] layer scale becomes timm's [C]; conv weights become OHWI.
  const TensorMap imported = import_state_dict({{"features.3.1.layer_scale", zeros({192, 1, 1})},
                                                {"features.6.1.weight", zeros({768, 384, 2, 2})}},
                                               "convnext_tiny", WeightSource::torchvision);
  EXPECT_EQ(imported.at("stages.1.blocks.1.gamma").shape(), (Shape{192}));
  EXPECT_EQ(imported.at("stages.3.downsample.1.weight").shape(), (Shape{768, 2, 2, 384}));
}

TEST(ConvNeXt, AnyChannelCountImageSizeAndHeadlessModel) {
  manual_seed(0);
  ModelPtr gray = create_model("convnext_tiny", {.num_classes = 10, .in_chans = 1, .img_size = 32});
  gray->eval();
  EXPECT_EQ(testing::state_shape(*gray, "stem.0.weight"), (Shape{96, 4, 4, 1}));
  EXPECT_EQ(gray->forward(randn({2, 32, 32, 1})).shape(), (Shape{2, 10}));
  EXPECT_EQ(gray->forward_features(randn({1, 72, 40, 1})).shape(), (Shape{1, 2, 1, 768}));
  // Fashion-MNIST's 28x28 would vanish in the last downsampling: a clear error instead,
  // when the model is created for that size and when such an image comes in.
  EXPECT_ERROR(gray->forward(randn({1, 28, 28, 1})), "at least 32x32");
  EXPECT_ERROR(create_model("convnext_tiny", {.img_size = 28}), "at least 32x32");
  // num_classes 0 (here through reset_classifier, as for fine-tuning): pooled, normalised
  // features; the head keeps its norm, as timm's does.
  gray->reset_classifier(0);
  EXPECT_EQ(gray->forward(randn({2, 32, 32, 1})).shape(), (Shape{2, 768}));
  EXPECT_TRUE(has(*gray, "head.norm.weight"));
  EXPECT_FALSE(has(*gray, "head.fc.weight"));
}

TEST(ConvNeXt, DropRatesAndGradCheckpointing) {
  manual_seed(3);
  ModelPtr model =
      create_model("convnext_tiny", {.num_classes = 5, .drop_rate = 0.25, .drop_path_rate = 0.3});
  // timm: linspace(0, rate, 18) over the blocks
  const std::map<std::string, double> rates = testing::drop_path_rates_by_name(*model);
  EXPECT_EQ(rates.size(), 18u);
  EXPECT_DOUBLE_EQ(rates.at("stages.0.blocks.0.drop_path"), 0.0);
  EXPECT_DOUBLE_EQ(rates.at("stages.1.blocks.0.drop_path"), 0.3 * 3 / 17);
  EXPECT_DOUBLE_EQ(rates.at("stages.3.blocks.2.drop_path"), 0.3);
  EXPECT_DOUBLE_EQ(model->head().drop->p, 0.25);  // dropout before the classifier

  // In training mode, so that the recomputation must replay the same drop-path and
  // dropout masks.
  manual_seed(1);
  testing::expect_checkpointing_keeps_gradients(*model, randn({2, 32, 32, 3}));
}

}  // namespace
}  // namespace fovea
