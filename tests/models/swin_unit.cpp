// Swin v1 (swin_tiny_patch4_window7_224): timm's parameter counts and state_dict names,
// the image sizes timm accepts, the torchvision key map, initialisation, attention maps
// and gradient checkpointing.
#include <gtest/gtest.h>

#include "models/import.h"
#include "models/swin.h"
#include "tests/support/model_testing.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

constexpr const char* kName = "swin_tiny_patch4_window7_224";

// Creating a Swin-T costs about a second of random draws, and ctest runs every test in a
// process of its own, so each test below builds one model and checks all it can on it.

TEST(Swin, DefaultModelHasTimmCountsNamesAndInit) {
  manual_seed(0);
  ModelPtr model = create_model(kName);
  EXPECT_EQ(model->num_parameters(), 28'288'354);
  const TensorMap state = model->state_dict();
  EXPECT_EQ(state.size(), 173u);  // len(timm.create_model(...).state_dict())
  const std::map<std::string, Shape> spots = {
      {"patch_embed.proj.weight", {96, 4, 4, 3}},
      {"patch_embed.norm.bias", {96}},
      {"layers.0.blocks.1.attn.relative_position_bias_table", {169, 3}},
      {"layers.0.blocks.1.attn.qkv.weight", {288, 96}},
      {"layers.1.downsample.norm.weight", {384}},
      {"layers.1.downsample.reduction.weight", {192, 384}},
      {"layers.2.blocks.5.mlp.fc1.weight", {1536, 384}},
      {"layers.3.blocks.1.mlp.fc2.bias", {768}},
      {"norm.weight", {768}},
      {"head.fc.weight", {1000, 768}}};
  for (const auto& [key, shape] : spots) EXPECT_EQ(testing::state_shape(state, key), shape) << key;
  for (const auto& [key, tensor] : state) {
    EXPECT_EQ(key.find("relative_position_index"), std::string::npos) << key;  // computed
    EXPECT_EQ(key.find("attn_mask"), std::string::npos) << key;
    EXPECT_NE(key.rfind("layers.0.downsample", 0), 0u) << key;  // stage 0 does not merge
  }
  // timm's init: trunc_normal(std 0.02) for linear weights and the bias tables, zero
  // biases, LayerNorms at one and zero.
  auto std_of = [&](const char* key) {
    return std::sqrt(var(state.at(key).to(DType::f64), {}).item());
  };
  EXPECT_NEAR(std_of("layers.2.blocks.0.attn.qkv.weight"), 0.02, 0.002);
  EXPECT_NEAR(std_of("layers.2.blocks.0.attn.relative_position_bias_table"), 0.02, 0.002);
  EXPECT_NEAR(std_of("head.fc.weight"), 0.02, 0.002);
  EXPECT_EQ(max(abs(state.at("layers.2.blocks.0.mlp.fc1.bias"))).item(), 0.0);
  EXPECT_EQ(state.at("layers.2.blocks.0.norm1.weight").to_vector<float>()[0], 1.f);
}

TEST(Swin, At64PadsAndClampsWindowsAsTimm) {
  // Stage grids 16, 8, 4, 2: stages 0-1 pad to whole 7-windows (21, 14); timm clamps the
  // windows of stages 2-3 to their grids, shrinking their bias tables.
  manual_seed(0);
  ModelPtr model = create_model(kName, {.num_classes = 0, .img_size = 64});
  EXPECT_EQ(model->num_parameters(), 27'503'034);  // timm 0.9.16, num_classes=0
  const TensorMap state = model->state_dict();
  EXPECT_EQ(state.at("layers.1.blocks.1.attn.relative_position_bias_table").shape(),
            (Shape{169, 6}));
  EXPECT_EQ(state.at("layers.2.blocks.0.attn.relative_position_bias_table").shape(),
            (Shape{49, 12}));
  EXPECT_EQ(state.at("layers.3.blocks.1.attn.relative_position_bias_table").shape(),
            (Shape{9, 24}));
  EXPECT_FALSE(state.count("head.fc.weight"));

  model->eval();
  const Tensor x = randn({2, 64, 64, 3});
  EXPECT_EQ(model->forward(x).shape(), (Shape{2, 768}));  // no classifier: pooled features
  EXPECT_EQ(model->forward_features(x).shape(), (Shape{2, 2, 2, 768}));
  EXPECT_ERROR(model->forward(randn({1, 96, 96, 3})), "img_size 64");

  const std::vector<Tensor> maps = model->attention_maps(x);
  ASSERT_EQ(maps.size(), 12u);
  EXPECT_EQ(maps[0].shape(), (Shape{18, 3, 49, 49}));  // 21x21 padded grid: 9 windows each
  EXPECT_EQ(maps[2].shape(), (Shape{8, 6, 49, 49}));   // 14x14: 4 windows each
  EXPECT_EQ(maps[4].shape(), (Shape{2, 12, 16, 16}));  // one 4x4 window
  EXPECT_EQ(maps[11].shape(), (Shape{2, 24, 4, 4}));
  EXPECT_TRUE(testing::all_close(sum(maps[1], {-1}), ones({18, 3, 49}), 1e-5, 0));
}

TEST(Swin, OneChannelAt96AndSizesPatchMergingCannotHalve) {
  // 96: stage grids 24, 12, 6, 3: stages 0-1 pad, stages 2-3 clamp the window to 6 and 3.
  // One channel, as for Fashion-MNIST.
  manual_seed(0);
  ModelPtr gray = create_model(kName, {.num_classes = 5, .in_chans = 1, .img_size = 96});
  EXPECT_EQ(gray->num_parameters(), 27'509'759);  // timm 0.9.16
  gray->eval();
  EXPECT_EQ(gray->forward(randn({1, 96, 96, 1})).shape(), (Shape{1, 5}));
  // 80: a 5x5 grid before stage 3 (checked before anything is built).
  EXPECT_ERROR(create_model(kName, {.img_size = 80}), "multiple of 32");
}

TEST(Swin, DropPathScheduleAndGradientCheckpointing) {
  manual_seed(0);
  ModelPtr model = create_model(kName, {.num_classes = 4, .img_size = 64, .drop_path_rate = 0.2});
  std::map<std::string, double> rates;  // timm: linspace(0, rate, 12) over the blocks
  for (const auto& [name, module] : model->named_modules()) {
    if (auto* drop = dynamic_cast<DropPath*>(module)) rates[name] = drop->p;
  }
  EXPECT_DOUBLE_EQ(rates.at("layers.0.blocks.0.drop_path1"), 0.0);
  EXPECT_DOUBLE_EQ(rates.at("layers.1.blocks.1.drop_path2"), 0.2 * 3 / 11);
  EXPECT_DOUBLE_EQ(rates.at("layers.3.blocks.1.drop_path1"), 0.2);

  // In training mode, so that the recomputation must replay the same drop-path masks.
  manual_seed(1);
  testing::expect_checkpointing_keeps_gradients(*model, randn({2, 64, 64, 3}));
}

TEST(Swin, TorchvisionKeysMapToTimm) {
  testing::expect_torchvision_keys(
      kName, {{"features.0.0.weight", "patch_embed.proj.weight"},
              {"features.0.2.bias", "patch_embed.norm.bias"},
              {"features.5.3.mlp.3.bias", "layers.2.blocks.3.mlp.fc2.bias"},
              {"features.7.1.mlp.0.weight", "layers.3.blocks.1.mlp.fc1.weight"},
              {"features.1.0.attn.relative_position_bias_table",
               "layers.0.blocks.0.attn.relative_position_bias_table"},
              {"features.6.reduction.weight", "layers.3.downsample.reduction.weight"},
              {"features.1.0.attn.relative_position_index", ""},
              {"norm.weight", "norm.weight"},
              {"head.bias", "head.fc.bias"}});
}

TEST(Swin, WindowsFitTheGridAsInTimm) {
  const swin::BlockWindow big = swin::fit_window({56, 56}, 7, /*shifted=*/true);
  EXPECT_EQ(big.window, (Window{7, 7}));
  EXPECT_EQ(big.shift, (Window{3, 3}));
  const swin::BlockWindow fits = swin::fit_window({7, 7}, 7, /*shifted=*/true);
  EXPECT_EQ(fits.window, (Window{7, 7}));
  EXPECT_EQ(fits.shift, (Window{0, 0}));  // one window: nothing to shift
  EXPECT_EQ(swin::fit_window({4, 4}, 7, true).window, (Window{4, 4}));
}

}  // namespace
}  // namespace fovea
