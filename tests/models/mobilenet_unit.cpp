// MobileNetV2 and MobileNetV3-Large: timm's parameter counts, names and shapes, the V3
// head, checkpointing, and the torchvision key map of V2.
#include <gtest/gtest.h>

#include "models/import.h"
#include "tests/support/model_testing.h"

namespace fovea {
namespace {

using testing::state_shape;

TEST(MobileNet, V2StateDictEqualsTimms) {
  ModelPtr model = create_model("mobilenetv2_100");
  EXPECT_EQ(model->num_parameters(), 3'504'872);  // timm 0.9.16, 1000 classes
  EXPECT_EQ(model->state_dict().size(), 314u);
  EXPECT_EQ(state_shape(*model, "conv_stem.weight"), (Shape{32, 3, 3, 3}));
  EXPECT_EQ(state_shape(*model, "blocks.0.0.conv_dw.weight"), (Shape{32, 3, 3, 1}));
  EXPECT_EQ(state_shape(*model, "blocks.0.0.conv_pw.weight"), (Shape{16, 1, 1, 32}));
  EXPECT_EQ(state_shape(*model, "blocks.3.3.conv_pw.weight"), (Shape{384, 1, 1, 64}));
  EXPECT_EQ(state_shape(*model, "blocks.6.0.conv_pwl.weight"), (Shape{320, 1, 1, 960}));
  EXPECT_EQ(state_shape(*model, "conv_head.weight"), (Shape{1280, 1, 1, 320}));
  EXPECT_EQ(state_shape(*model, "bn2.running_mean"), (Shape{1280}));
  EXPECT_EQ(state_shape(*model, "classifier.weight"), (Shape{1000, 1280}));
  for (const auto& [key, tensor] : model->state_dict()) {
    EXPECT_EQ(key.find(".se."), std::string::npos) << "MobileNetV2 has no squeeze-excite";
  }
}

TEST(MobileNet, V3StateDictEqualsTimms) {
  ModelPtr model = create_model("mobilenetv3_large_100");
  EXPECT_EQ(model->num_parameters(), 5'483'032);  // timm 0.9.16, 1000 classes
  EXPECT_EQ(model->state_dict().size(), 312u);
  EXPECT_EQ(state_shape(*model, "conv_stem.weight"), (Shape{16, 3, 3, 3}));
  EXPECT_EQ(state_shape(*model, "blocks.0.0.conv_dw.weight"), (Shape{16, 3, 3, 1}));
  EXPECT_EQ(state_shape(*model, "blocks.1.1.conv_pw.weight"), (Shape{72, 1, 1, 24}));
  // SE widths: a multiple of 8 of a quarter of the expanded width (72/4 = 18 -> 24).
  EXPECT_EQ(state_shape(*model, "blocks.2.0.se.conv_reduce.weight"), (Shape{24, 1, 1, 72}));
  EXPECT_EQ(state_shape(*model, "blocks.2.0.conv_dw.weight"), (Shape{72, 5, 5, 1}));
  EXPECT_EQ(state_shape(*model, "blocks.3.3.conv_pw.weight"), (Shape{184, 1, 1, 80}));  // e2.3
  EXPECT_EQ(state_shape(*model, "blocks.5.2.se.conv_expand.weight"), (Shape{960, 1, 1, 240}));
  // The last stage is one 1x1 conv + BN + hard-swish; the head conv has a bias and no BN.
  EXPECT_EQ(state_shape(*model, "blocks.6.0.conv.weight"), (Shape{960, 1, 1, 160}));
  EXPECT_EQ(state_shape(*model, "blocks.6.0.bn1.weight"), (Shape{960}));
  EXPECT_EQ(state_shape(*model, "conv_head.weight"), (Shape{1280, 1, 1, 960}));
  EXPECT_EQ(state_shape(*model, "conv_head.bias"), (Shape{1280}));
  EXPECT_EQ(model->state_dict().count("bn2.weight"), 0u);
  EXPECT_EQ(state_shape(*model, "classifier.weight"), (Shape{1000, 1280}));
}

TEST(MobileNet, V3HeadPoolsBeforeTheHeadConv) {
  manual_seed(0);
  ModelPtr model = create_model("mobilenetv3_large_100", {.num_classes = 3, .in_chans = 1});
  model->eval();
  const Tensor features = model->forward_features(randn({2, 64, 96, 1}));
  EXPECT_EQ(features.shape(), (Shape{2, 2, 3, 960}));
  // pre_logits: after the head conv and its activation, as timm.
  EXPECT_EQ(model->forward_head(features, /*pre_logits=*/true).shape(), (Shape{2, 1280}));
  EXPECT_EQ(model->num_features(), 1280);
  EXPECT_EQ(model->forward_head(features).shape(), (Shape{2, 3}));
  model->reset_classifier(0);
  EXPECT_EQ(model->forward_head(features).shape(), (Shape{2, 1280}));
}

TEST(MobileNet, GradCheckpointingGivesTheSameGradients) {
  // V3 has its own model class (V2 is EfficientNet's, checked in efficientnet_unit.cpp).
  // Training mode with dropout and drop path: the replay must draw the same masks.
  manual_seed(7);
  ModelPtr model = create_model("mobilenetv3_large_100",
                                {.num_classes = 4, .drop_rate = 0.2, .drop_path_rate = 0.2});
  manual_seed(3);
  testing::expect_checkpointing_keeps_gradients(*model, randn({2, 32, 32, 3}), 1e-6, 1e-5);
}

TEST(MobileNet, V2TorchvisionKeysMapToTimms) {
  testing::expect_torchvision_keys(
      "mobilenetv2_100", {{"features.0.0.weight", "conv_stem.weight"},
                          {"features.0.1.bias", "bn1.bias"},
                          {"features.1.conv.0.0.weight", "blocks.0.0.conv_dw.weight"},
                          {"features.1.conv.0.1.running_var", "blocks.0.0.bn1.running_var"},
                          {"features.1.conv.1.weight", "blocks.0.0.conv_pw.weight"},
                          {"features.1.conv.2.weight", "blocks.0.0.bn2.weight"},
                          {"features.2.conv.0.0.weight", "blocks.1.0.conv_pw.weight"},
                          {"features.3.conv.1.0.weight", "blocks.1.1.conv_dw.weight"},
                          {"features.4.conv.2.weight", "blocks.2.0.conv_pwl.weight"},
                          {"features.10.conv.3.bias", "blocks.3.3.bn3.bias"},
                          {"features.17.conv.1.1.weight", "blocks.6.0.bn2.weight"},
                          {"features.18.0.weight", "conv_head.weight"},
                          {"features.18.1.running_mean", "bn2.running_mean"},
                          {"classifier.1.bias", "classifier.bias"}});
  const KeyMap& map = model_info("mobilenetv2_100").torchvision_keys;
  EXPECT_THROW(map("features.19.conv.0.0.weight"), Error);
  EXPECT_THROW(map("features.2.conv.4.weight"), Error);
}

TEST(MobileNet, V3HasNoTorchvisionImport) {
  // torchvision's mobilenet_v3_large differs from timm's (BatchNorm eps, Linear head).
  EXPECT_TRUE(model_info("mobilenetv3_large_100").torchvision_name.empty());
  EXPECT_THROW(import_state_dict({}, "mobilenetv3_large_100", WeightSource::torchvision), Error);
}

}  // namespace
}  // namespace fovea
