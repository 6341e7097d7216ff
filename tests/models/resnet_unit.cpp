// ResNet, ResNeXt and SE-ResNeXt: timm's parameter counts and state_dict names, timm's
// initialisation, the configuration options, and gradient checkpointing.
#include <gtest/gtest.h>

#include <cmath>

#include "layers/regularization.h"
#include "models/model.h"
#include "tests/support/model_testing.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::all_close;

TEST(ResNet, ParameterCountsMatchTimm) {
  // timm 0.9.16 at 1000 classes; resnext50_32x4d also equals torchvision's.
  const std::pair<const char*, int64_t> expected[] = {
      {"resnet18", 11'689'512},          {"resnet34", 21'797'672},  {"resnet50", 25'557'032},
      {"resnet101", 44'549'160},         {"resnet152", 60'192'808}, {"resnext50_32x4d", 25'028'904},
      {"seresnext50_32x4d", 27'559'896},
  };
  for (const auto& [name, count] : expected) {
    EXPECT_EQ(create_model(name)->num_parameters(), count) << name;
  }
}

TEST(ResNet, StateDictUsesTimmNames) {
  const TensorMap r18 = create_model("resnet18")->state_dict();
  EXPECT_EQ(testing::state_shape(r18, "conv1.weight"), (Shape{64, 7, 7, 3}));  // NHWC conv weights
  EXPECT_EQ(testing::state_shape(r18, "layer1.1.bn2.running_var"), (Shape{64}));
  EXPECT_EQ(testing::state_shape(r18, "layer2.0.downsample.0.weight"), (Shape{128, 1, 1, 64}));
  EXPECT_EQ(testing::state_shape(r18, "layer4.1.conv2.weight"), (Shape{512, 3, 3, 512}));
  EXPECT_EQ(testing::state_shape(r18, "fc.weight"), (Shape{1000, 512}));
  EXPECT_FALSE(r18.count("layer1.0.downsample.0.weight"));  // 64 -> 64 at stride 1
  EXPECT_EQ(r18.at("bn1.num_batches_tracked").dtype(), DType::i64);

  const TensorMap r50 = create_model("resnet50")->state_dict();
  EXPECT_EQ(testing::state_shape(r50, "layer1.0.downsample.1.weight"), (Shape{256}));  // 64 -> 256
  EXPECT_EQ(testing::state_shape(r50, "layer3.5.conv3.weight"), (Shape{1024, 1, 1, 256}));
  EXPECT_EQ(testing::state_shape(r50, "fc.weight"), (Shape{1000, 2048}));

  // ResNeXt 32x4d: the 3x3 conv has 32 groups of 4 channels at layer1 (width 128).
  const TensorMap se = create_model("seresnext50_32x4d")->state_dict();
  EXPECT_EQ(testing::state_shape(se, "layer1.0.conv2.weight"), (Shape{128, 3, 3, 4}));
  EXPECT_EQ(testing::state_shape(se, "layer4.2.conv2.weight"), (Shape{1024, 3, 3, 32}));
  // timm's SEModule: make_divisible(channels / 16, 8) reduced channels, with biases.
  EXPECT_EQ(testing::state_shape(se, "layer1.0.se.fc1.weight"), (Shape{16, 1, 1, 256}));
  EXPECT_EQ(testing::state_shape(se, "layer1.0.se.fc1.bias"), (Shape{16}));
  EXPECT_EQ(testing::state_shape(se, "layer4.2.se.fc2.weight"), (Shape{2048, 1, 1, 128}));
}

TEST(ResNet, InitialisesAsTimm) {
  manual_seed(3);
  ModelPtr model = create_model("resnet50");
  const TensorMap state = model->state_dict();
  // He-normal with fan_out: layer3.0.conv1 is [256, 1, 1, 512], std sqrt(2 / 256).
  const Tensor w = state.at("layer3.0.conv1.weight").to(DType::f64);
  const double std = std::sqrt(var(w, {0, 1, 2, 3}).item());
  EXPECT_NEAR(std, std::sqrt(2.0 / 256.0), 0.02 * std::sqrt(2.0 / 256.0));
  // Each block starts as the identity: its last BatchNorm scale is zero.
  EXPECT_TRUE(all_close(state.at("layer2.3.bn3.weight"), zeros({512}), 0, 0));
  EXPECT_TRUE(all_close(state.at("layer2.3.bn2.weight"), ones({128}), 0, 0));
  EXPECT_TRUE(all_close(state.at("layer2.0.downsample.1.weight"), ones({512}), 0, 0));
  // The basic block zeroes bn2 instead.
  const TensorMap r18 = create_model("resnet18")->state_dict();
  EXPECT_TRUE(all_close(r18.at("layer3.1.bn2.weight"), zeros({256}), 0, 0));
  EXPECT_TRUE(all_close(r18.at("layer3.1.bn1.weight"), ones({256}), 0, 0));
}

TEST(ResNet, TakesAnyChannelCountAndImageSize) {
  manual_seed(0);
  // Fashion-MNIST: one channel, 28x28.
  ModelPtr gray = create_model("resnet18", {.num_classes = 10, .in_chans = 1, .img_size = 28});
  EXPECT_EQ(gray->state_dict().at("conv1.weight").shape(), (Shape{64, 7, 7, 1}));
  EXPECT_EQ(gray->forward(randn({2, 28, 28, 1})).shape(), (Shape{2, 10}));
  // Odd, non-square inputs: 45x37 -> 23x19 (conv1) -> 12x10 (maxpool, layer1) -> 6x5 -> 3x3
  // -> 2x2.
  const Tensor features = gray->forward_features(randn({1, 45, 37, 1}));
  EXPECT_EQ(features.shape(), (Shape{1, 2, 2, 512}));
  // Four input channels into a bottleneck network.
  ModelPtr rgba = create_model("seresnext50_32x4d", {.num_classes = 5, .in_chans = 4});
  EXPECT_EQ(rgba->forward(randn({1, 40, 40, 4})).shape(), (Shape{1, 5}));
}

TEST(ResNet, NoClassifierGivesPooledFeatures) {
  ModelPtr model = create_model("resnet34", {.num_classes = 0});
  EXPECT_FALSE(model->state_dict().count("fc.weight"));
  EXPECT_EQ(model->forward(randn({2, 32, 32, 3})).shape(), (Shape{2, 512}));
  EXPECT_EQ(model->num_features(), 512);
  EXPECT_EQ(model->classifier_name(), "fc");
}

TEST(ResNet, StochasticDepthRisesLinearlyOverTheBlocks) {
  ModelPtr model = create_model("resnet18", {.drop_path_rate = 0.14});
  std::map<std::string, double> rates;
  for (const auto& [name, module] : model->named_modules()) {
    if (auto* drop = dynamic_cast<DropPath*>(module)) rates[name] = drop->p;
  }
  // 8 blocks: block i drops with 0.14 * i / 7; the first block has none.
  EXPECT_EQ(rates.size(), 7u);
  EXPECT_FALSE(rates.count("layer1.0.drop_path"));
  EXPECT_DOUBLE_EQ(rates["layer1.1.drop_path"], 0.02);
  EXPECT_DOUBLE_EQ(rates["layer3.0.drop_path"], 0.08);
  EXPECT_DOUBLE_EQ(rates["layer4.1.drop_path"], 0.14);
}

TEST(ResNet, GradientCheckpointingGivesTheSameGradients) {
  // Training mode with stochastic depth and dropout: the replay must redraw the same masks.
  manual_seed(0);
  ModelPtr model = create_model("seresnext50_32x4d",
                                {.num_classes = 4, .drop_rate = 0.2, .drop_path_rate = 0.3});
  const Tensor x = randn({2, 32, 32, 3});
  testing::expect_checkpointing_keeps_gradients(*model, x, 1e-6, 1e-5);
}

TEST(ResNet, GradientCheckpointingKeepsLessOfTheGraph) {
  manual_seed(0);
  ModelPtr model = create_model("resnet50", {.num_classes = 10});
  const Tensor x = randn({2, 64, 64, 3});
  const size_t plain = testing::bytes_held_by_forward(*model, x);
  model->set_grad_checkpointing(true);
  const size_t checkpointed = testing::bytes_held_by_forward(*model, x);
  // Only the stem's activations and the 16 block inputs stay, instead of every conv, norm
  // and ReLU output (about 5 MB against 20 MB here).
  EXPECT_LT(checkpointed * 3, plain) << checkpointed << " vs " << plain << " bytes";
}

}  // namespace
}  // namespace fovea
