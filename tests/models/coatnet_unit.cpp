// coatnet_0_rw_224: timm's parameter count and names, other image sizes and channel
// counts, initialisation, gradient checkpointing.
#include <gtest/gtest.h>

#include <cmath>

#include "models/model.h"
#include "tests/support/model_testing.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::all_close;
using testing::state_shape;

TEST(CoatNet, ParameterCountMatchesTimm) {
  EXPECT_EQ(create_model("coatnet_0_rw_224")->num_parameters(), 27'435'562);  // timm 0.9.16
  // 96x96, one channel, 10 classes: smaller relative position tables (timm: 26,621,068).
  EXPECT_EQ(create_model("coatnet_0_rw_224", {.num_classes = 10, .in_chans = 1, .img_size = 96})
                ->num_parameters(),
            26'621'068);
}

TEST(CoatNet, StateDictHasTimmNames) {
  const TensorMap state = create_model("coatnet_0_rw_224")->state_dict();
  EXPECT_EQ(state.size(), 242u);  // as timm's, with BatchNorm's num_batches_tracked
  EXPECT_EQ(state_shape(state, "stem.conv1.weight"), (Shape{32, 3, 3, 3}));
  EXPECT_EQ(state_shape(state, "stem.norm1.running_var"), (Shape{32}));
  EXPECT_EQ(state_shape(state, "stages.0.blocks.0.shortcut.expand.weight"), (Shape{96, 1, 1, 64}));
  EXPECT_EQ(state_shape(state, "stages.0.blocks.0.pre_norm.weight"), (Shape{64}));
  EXPECT_EQ(state_shape(state, "stages.0.blocks.0.conv2_kxk.weight"), (Shape{256, 3, 3, 1}));
  EXPECT_EQ(state_shape(state, "stages.0.blocks.0.se_early.fc1.weight"), (Shape{64, 1, 1, 256}));
  EXPECT_EQ(state_shape(state, "stages.1.blocks.2.conv3_1x1.weight"), (Shape{192, 1, 1, 768}));
  EXPECT_FALSE(state.count("stages.1.blocks.2.conv3_1x1.bias"));
  EXPECT_EQ(state_shape(state, "stages.2.blocks.0.norm1.norm.weight"), (Shape{192}));
  EXPECT_EQ(state_shape(state, "stages.2.blocks.0.attn.qkv.weight"), (Shape{576, 1, 1, 192}));
  EXPECT_EQ(state_shape(state, "stages.2.blocks.0.attn.proj.weight"), (Shape{384, 1, 1, 192}));
  // 14x14 map: 27*27 offsets; 6 heads where the block widens 192 -> 384, then 12.
  EXPECT_EQ(state_shape(state, "stages.2.blocks.0.attn.rel_pos.relative_position_bias_table"),
            (Shape{729, 6}));
  EXPECT_EQ(state_shape(state, "stages.2.blocks.6.attn.rel_pos.relative_position_bias_table"),
            (Shape{729, 12}));
  EXPECT_EQ(state_shape(state, "stages.3.blocks.1.attn.rel_pos.relative_position_bias_table"),
            (Shape{169, 24}));
  // A non-persistent buffer, as in timm.
  EXPECT_FALSE(state.count("stages.2.blocks.0.attn.rel_pos.relative_position_index"));
  EXPECT_EQ(state_shape(state, "stages.3.blocks.1.mlp.fc1.weight"), (Shape{3072, 1, 1, 768}));
  EXPECT_EQ(state_shape(state, "norm.weight"), (Shape{768}));
  EXPECT_EQ(state_shape(state, "head.fc.weight"), (Shape{1000, 768}));
}

TEST(CoatNet, InitialisesAsTimm) {
  manual_seed(0);
  const TensorMap state = create_model("coatnet_0_rw_224", {.img_size = 64})->state_dict();
  auto stddev = [](const Tensor& t) {
    const Tensor centred = sub(t, mean(t));
    return std::sqrt(mean(mul(centred, centred)).item());
  };
  // Conv parts: N(0, sqrt(2 / fan_out)), fan_out = k*k*out/groups (9 for depthwise).
  EXPECT_NEAR(stddev(state.at("stages.1.blocks.1.conv1_1x1.weight")), std::sqrt(2.0 / 768), 0.002);
  EXPECT_NEAR(stddev(state.at("stages.1.blocks.1.conv2_kxk.weight")), std::sqrt(2.0 / 9), 0.02);
  // Transformer parts: xavier_uniform, MLP biases N(0, 1e-6), other biases zero.
  EXPECT_NEAR(stddev(state.at("stages.3.blocks.1.mlp.fc1.weight")), std::sqrt(2.0 / (768 + 3072)),
              0.001);
  EXPECT_EQ(max(abs(state.at("stages.3.blocks.1.attn.qkv.bias"))).item(), 0.0);
  const double mlp_bias = max(abs(state.at("stages.3.blocks.1.mlp.fc1.bias"))).item();
  EXPECT_GT(mlp_bias, 0.0);
  EXPECT_LT(mlp_bias, 1e-5);
  EXPECT_NEAR(stddev(state.at("stages.2.blocks.1.attn.rel_pos.relative_position_bias_table")), 0.02,
              0.004);
}

TEST(CoatNet, OtherImageSizesAndChannels) {
  manual_seed(1);
  ModelPtr model =
      create_model("coatnet_0_rw_224", {.num_classes = 10, .in_chans = 1, .img_size = 96});
  const TensorMap state = model->state_dict();
  EXPECT_EQ(state_shape(state, "stem.conv1.weight"), (Shape{32, 3, 3, 1}));
  EXPECT_EQ(state_shape(state, "stages.3.blocks.0.attn.rel_pos.relative_position_bias_table"),
            (Shape{25, 12}));  // a 3x3 map in the last stage
  model->eval();
  EXPECT_EQ(model->forward_features(randn({2, 96, 96, 1})).shape(), (Shape{2, 3, 3, 768}));
  EXPECT_EQ(model->forward(randn({2, 96, 96, 1})).shape(), (Shape{2, 10}));
  try {
    create_model("coatnet_0_rw_224", {.img_size = 80});
    FAIL() << "80 does not halve cleanly five times";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("img_size 80 must be a multiple of 32"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(model->attention_maps(randn({1, 96, 96, 1})), Error);
}

TEST(CoatNet, WithoutClassifierGivesPooledFeatures) {
  ModelPtr model = create_model("coatnet_0_rw_224", {.num_classes = 0, .img_size = 64});
  EXPECT_FALSE(model->state_dict().count("head.fc.weight"));
  EXPECT_EQ(model->forward(randn({2, 64, 64, 3})).shape(), (Shape{2, 768}));
  model->reset_classifier(4);
  EXPECT_EQ(model->forward(randn({2, 64, 64, 3})).shape(), (Shape{2, 4}));
}

TEST(CoatNet, GradientCheckpointingGivesTheSameGradients) {
  manual_seed(2);
  ModelPtr model =
      create_model("coatnet_0_rw_224", {.num_classes = 5, .img_size = 64, .drop_path_rate = 0.3});
  const Tensor x = randn({2, 64, 64, 3});
  testing::expect_checkpointing_keeps_gradients(*model, x);
}

}  // namespace
}  // namespace fovea
