// DenseNet and CheXNet: timm's parameter counts and state_dict names, the torchvision and
// CheXNet key maps, CheXNet's class count, the configuration options, and memory-efficient
// gradient checkpointing.
#include <gtest/gtest.h>

#include <cmath>

#include "models/model.h"
#include "tests/support/model_testing.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::all_close;

TEST(DenseNet, ParameterCountsMatchTimm) {
  // timm 0.9.16 (and torchvision 0.14) at 1000 classes.
  EXPECT_EQ(create_model("densenet121")->num_parameters(), 7'978'856);
  EXPECT_EQ(create_model("densenet169")->num_parameters(), 14'149'480);
  EXPECT_EQ(create_model("densenet201")->num_parameters(), 20'013'928);
}

TEST(DenseNet, CheXNetHasFourteenLabelsByDefault) {
  // torchvision.models.densenet121(num_classes=14), counted in PyTorch: the 6,953,856
  // backbone parameters of densenet121 and a 1024 -> 14 classifier.
  ModelPtr chexnet = create_model("chexnet");
  EXPECT_EQ(chexnet->num_parameters(), 6'968'206);
  EXPECT_EQ(chexnet->state_dict().at("classifier.weight").shape(), (Shape{14, 1024}));
  // Any class count other than the default is taken as asked.
  EXPECT_EQ(create_model("chexnet", {.num_classes = 3})->state_dict().at("classifier.bias").shape(),
            (Shape{3}));
  EXPECT_FALSE(
      create_model("chexnet", {.num_classes = 0})->state_dict().count("classifier.weight"));
}

TEST(DenseNet, StateDictUsesTimmNames) {
  const TensorMap state = create_model("densenet121")->state_dict();
  EXPECT_EQ(testing::state_shape(state, "features.conv0.weight"), (Shape{64, 7, 7, 3}));
  EXPECT_EQ(testing::state_shape(state, "features.norm0.running_mean"), (Shape{64}));
  // Layer i of a block reads c0 + 32 i channels and adds 32 through a 128-wide bottleneck.
  EXPECT_EQ(testing::state_shape(state, "features.denseblock1.denselayer1.norm1.weight"),
            (Shape{64}));
  EXPECT_EQ(testing::state_shape(state, "features.denseblock1.denselayer6.conv1.weight"),
            (Shape{128, 1, 1, 64 + 5 * 32}));
  EXPECT_EQ(testing::state_shape(state, "features.denseblock1.denselayer6.conv2.weight"),
            (Shape{32, 3, 3, 128}));
  EXPECT_EQ(testing::state_shape(state, "features.transition1.norm.weight"), (Shape{256}));
  EXPECT_EQ(testing::state_shape(state, "features.transition1.conv.weight"),
            (Shape{128, 1, 1, 256}));
  EXPECT_EQ(testing::state_shape(state, "features.denseblock4.denselayer16.norm2.bias"),
            (Shape{128}));
  EXPECT_EQ(testing::state_shape(state, "features.norm5.weight"), (Shape{1024}));
  EXPECT_EQ(testing::state_shape(state, "classifier.weight"), (Shape{1000, 1024}));
  EXPECT_FALSE(state.count("features.transition4.conv.weight"));
}

TEST(DenseNet, KeyMapsReadOldTorchvisionAndCheXNetNames) {
  const KeyMap& torchvision = model_info("densenet169").torchvision_keys;
  // torchvision < 0.4 checkpoints, which torchvision itself still loads.
  EXPECT_EQ(torchvision("features.denseblock1.denselayer1.norm.1.weight"),
            "features.denseblock1.denselayer1.norm1.weight");
  EXPECT_EQ(torchvision("features.denseblock3.denselayer12.conv.2.weight"),
            "features.denseblock3.denselayer12.conv2.weight");
  // Current names are timm's already; transitions never had the numbered form.
  for (const std::string key :
       {"features.denseblock2.denselayer3.norm2.running_var", "features.transition1.norm.weight",
        "features.norm5.bias", "classifier.weight"}) {
    EXPECT_EQ(torchvision(key), key);
  }
  // arnoweng/CheXNet: DataParallel around `densenet121`, classifier = Sequential(Linear, Sigmoid).
  const KeyMap& chexnet = model_info("chexnet").torchvision_keys;
  EXPECT_EQ(chexnet("module.densenet121.features.denseblock4.denselayer2.norm.2.running_mean"),
            "features.denseblock4.denselayer2.norm2.running_mean");
  EXPECT_EQ(chexnet("module.densenet121.classifier.0.bias"), "classifier.bias");
  EXPECT_EQ(chexnet("densenet121.features.conv0.weight"), "features.conv0.weight");
  EXPECT_EQ(chexnet("features.norm0.weight"), "features.norm0.weight");
}

TEST(DenseNet, InitialisesAsTimm) {
  manual_seed(5);
  const TensorMap state = create_model("densenet121")->state_dict();
  // He-normal with fan_in: denselayer16 of block 3 has conv1 [128, 1, 1, 736].
  const Tensor w = state.at("features.denseblock3.denselayer16.conv1.weight").to(DType::f64);
  const double expected_std = std::sqrt(2.0 / 736.0);
  EXPECT_NEAR(std::sqrt(var(w, {0, 1, 2, 3}).item()), expected_std, 0.02 * expected_std);
  EXPECT_TRUE(
      all_close(state.at("features.denseblock2.denselayer1.norm2.weight"), ones({128}), 0, 0));
  EXPECT_TRUE(all_close(state.at("classifier.bias"), zeros({1000}), 0, 0));
}

TEST(DenseNet, TakesAnyChannelCountAndImageSize) {
  manual_seed(0);
  ModelPtr model = create_model("densenet121", {.num_classes = 10, .in_chans = 1, .img_size = 32});
  EXPECT_EQ(model->state_dict().at("features.conv0.weight").shape(), (Shape{64, 7, 7, 1}));
  EXPECT_EQ(model->forward(randn({2, 32, 32, 1})).shape(), (Shape{2, 10}));
  // 80x48 -> 40x24 (conv0) -> 20x12 (pool0, block 1) -> 10x6 -> 5x3 -> 2x1.
  EXPECT_EQ(model->forward_features(randn({1, 80, 48, 1})).shape(), (Shape{1, 2, 1, 1024}));
  EXPECT_EQ(model->num_features(), 1024);
  EXPECT_EQ(model->classifier_name(), "classifier");
}

TEST(DenseNet, ExplainsInputsTooSmallAndStochasticDepth) {
  ModelPtr model = create_model("densenet121", {.num_classes = 10, .in_chans = 1});
  try {
    model->forward(randn({1, 28, 28, 1}));  // Fashion-MNIST size: too small
    FAIL() << "a 28x28 input cannot pass three transitions";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("at least 29x29"), std::string::npos) << e.what();
  }
  try {
    create_model("densenet201", {.drop_path_rate = 0.1});
    FAIL() << "DenseNet has no stochastic depth";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("drop_path_rate"), std::string::npos) << e.what();
  }
}

TEST(DenseNet, MemoryEfficientCheckpointingGivesTheSameGradients) {
  manual_seed(0);
  ModelPtr model = create_model("densenet121", {.num_classes = 4, .drop_rate = 0.3});
  const Tensor x = randn({2, 32, 32, 3});
  testing::expect_checkpointing_keeps_gradients(*model, x, 1e-6, 1e-5);
  EXPECT_TRUE(model->grad_checkpointing());
}

TEST(DenseNet, MemoryEfficientCheckpointingKeepsLessOfTheGraph) {
  manual_seed(0);
  ModelPtr model = create_model("densenet121", {.num_classes = 10});
  const Tensor x = randn({2, 64, 64, 3});
  const size_t plain = testing::bytes_held_by_forward(*model, x);
  model->set_grad_checkpointing(true);
  const size_t efficient = testing::bytes_held_by_forward(*model, x);
  // The concatenations, their normalised copies and the 4k-wide bottlenecks are no longer
  // kept; each layer's k new channels and the block outputs are.
  EXPECT_LT(efficient * 2, plain) << efficient << " vs " << plain << " bytes";
}

}  // namespace
}  // namespace fovea
