// Swin v2 (swinv2_tiny_window8_256): timm's parameter counts and state_dict names (q_bias
// and v_bias, no k bias), the image sizes timm accepts, residual post-norm initialisation,
// the split of torchvision's qkv bias, attention maps and gradient checkpointing.
#include <gtest/gtest.h>

#include "models/import.h"
#include "tests/support/model_testing.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

constexpr const char* kName = "swinv2_tiny_window8_256";

// Creating a Swin-T costs about a second of random draws, and ctest runs every test in a
// process of its own, so each test below builds one model and checks all it can on it.

TEST(SwinV2, DefaultModelHasTimmCountsNamesAndInit) {
  manual_seed(0);
  ModelPtr model = create_model(kName);
  EXPECT_EQ(model->num_parameters(), 28'347'154);
  const TensorMap state = model->state_dict();
  EXPECT_EQ(state.size(), 221u);  // len(timm.create_model(...).state_dict())
  const std::map<std::string, Shape> spots = {
      {"patch_embed.proj.weight", {96, 4, 4, 3}},
      {"layers.0.blocks.0.attn.logit_scale", {3, 1, 1}},
      {"layers.0.blocks.0.attn.cpb_mlp.0.weight", {512, 2}},
      {"layers.0.blocks.0.attn.cpb_mlp.0.bias", {512}},
      {"layers.2.blocks.3.attn.cpb_mlp.2.weight", {12, 512}},
      {"layers.2.blocks.3.attn.qkv.weight", {1152, 384}},
      {"layers.2.blocks.3.attn.q_bias", {384}},
      {"layers.2.blocks.3.attn.v_bias", {384}},
      {"layers.1.downsample.reduction.weight", {192, 384}},
      {"layers.1.downsample.norm.weight", {192}},  // normalises after the reduction
      {"head.fc.weight", {1000, 768}}};
  for (const auto& [key, shape] : spots) EXPECT_EQ(testing::state_shape(state, key), shape) << key;
  for (const char* absent :
       {"layers.0.blocks.0.attn.qkv.bias", "layers.0.blocks.0.attn.k_bias",
        "layers.0.blocks.0.attn.cpb_mlp.2.bias", "layers.0.blocks.0.attn.relative_coords_table",
        "layers.0.blocks.0.attn.relative_position_index", "layers.0.blocks.1.attn_mask"})
    EXPECT_FALSE(state.count(absent)) << absent;
  // timm's init: the residual post-norms at zero, the temperature at 10, zero q/v biases,
  // trunc_normal(std 0.02) linear weights (the cpb MLP's too).
  EXPECT_EQ(max(abs(state.at("layers.1.blocks.0.norm1.weight"))).item(), 0.0);
  EXPECT_EQ(max(abs(state.at("layers.1.blocks.0.norm2.bias"))).item(), 0.0);
  EXPECT_EQ(state.at("layers.1.downsample.norm.weight").to_vector<float>()[0], 1.f);
  EXPECT_NEAR(state.at("layers.0.blocks.0.attn.logit_scale").to_vector<float>()[2], std::log(10.0),
              1e-6);
  EXPECT_EQ(max(abs(state.at("layers.0.blocks.0.attn.q_bias"))).item(), 0.0);
  EXPECT_NEAR(std::sqrt(var(state.at("layers.0.blocks.0.attn.cpb_mlp.0.weight"), {}).item()), 0.02,
              0.003);
}

TEST(SwinV2, At64BlocksStartAsIdentitiesMapsCoverEveryBlockAnd96DoesNotFit) {
  // Stage grids 16, 8, 4, 2: stage 0 shifts its four 8x8 windows; the later stages fit in
  // one window each (8, 4, 2), which timm neither pads nor shifts.
  manual_seed(0);
  ModelPtr model = create_model(kName, {.num_classes = 0, .img_size = 64});
  // The continuous position bias has no table per window: every size has the same count.
  EXPECT_EQ(model->num_parameters(), 27'578'154);  // timm 0.9.16, num_classes=0
  model->eval();

  // Post-norms at zero make every block the identity, so a fresh model's features are the
  // patch embedding, merged three times and normalised. (With pre-norms at zero a block
  // would still add its attention's and MLP's biases.)
  std::map<std::string, Module*> modules;
  for (const auto& [name, module] : model->named_modules()) modules[name] = module;
  const Tensor x = randn({1, 64, 64, 3});
  {
    NoGradGuard no_grad;
    Tensor expected = (*modules.at("patch_embed"))(x);
    for (const char* merge : {"layers.1.downsample", "layers.2.downsample", "layers.3.downsample"})
      expected = (*modules.at(merge))(expected);
    expected = (*modules.at("norm"))(expected);
    EXPECT_TRUE(testing::all_close(model->forward_features(x), expected, 1e-5, 1e-5));
  }

  const std::vector<Tensor> maps = model->attention_maps(x);
  ASSERT_EQ(maps.size(), 12u);
  EXPECT_EQ(maps[1].shape(), (Shape{4, 3, 64, 64}));  // 16x16 grid, four 8x8 windows
  EXPECT_EQ(maps[3].shape(), (Shape{1, 6, 64, 64}));
  EXPECT_EQ(maps[11].shape(), (Shape{1, 24, 4, 4}));

  // 96: the 12x12 grid of stage 1 is neither a multiple of 8 nor within one window; timm's
  // Swin V2 does not pad, and neither does fovea.
  EXPECT_ERROR(create_model(kName, {.img_size = 96}), "not a multiple of the 8x8 window");
}

TEST(SwinV2, GradientCheckpointingGivesTheSameGradients) {
  manual_seed(0);
  ModelPtr model = create_model(kName, {.num_classes = 4, .img_size = 64, .drop_path_rate = 0.3});
  // In training mode, so that the recomputation must replay the same drop-path masks.
  manual_seed(1);
  testing::expect_checkpointing_keeps_gradients(*model, randn({2, 64, 64, 3}));
}

TEST(SwinV2, TorchvisionQkvBiasSplitsIntoQAndV) {
  const ModelInfo& info = model_info(kName);
  EXPECT_EQ(info.torchvision_name, "swin_v2_t");
  testing::expect_torchvision_keys(
      kName, {{"features.3.1.attn.cpb_mlp.2.weight", "layers.1.blocks.1.attn.cpb_mlp.2.weight"},
              {"features.3.1.attn.relative_coords_table", ""}});
  TensorMap torchvision = {
      {"features.1.0.attn.qkv.bias", from_vector<float>({1, 2, 3, 4, 5, 6}, {6})},
      {"features.1.0.attn.logit_scale", zeros({3, 1, 1})}};
  const TensorMap state = import_state_dict(torchvision, kName, WeightSource::torchvision);
  EXPECT_EQ(state.size(), 3u);
  EXPECT_EQ(state.at("layers.0.blocks.0.attn.q_bias").to_vector<float>(),
            (std::vector<float>{1, 2}));
  EXPECT_EQ(state.at("layers.0.blocks.0.attn.v_bias").to_vector<float>(),
            (std::vector<float>{5, 6}));
}

}  // namespace
}  // namespace fovea
