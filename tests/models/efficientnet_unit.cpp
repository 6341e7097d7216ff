// EfficientNet-B0..B4 and the shared block builder: timm's parameter counts, names, shapes
// and rounding rules; input sizes and channels; drop path schedule; checkpointing;
// initialisation; the torchvision key map.
#include <gtest/gtest.h>

#include <cmath>

#include "layers/regularization.h"
#include "models/efficientnet_builder.h"
#include "models/import.h"
#include "tests/support/model_testing.h"

namespace fovea {
namespace {

using testing::state_shape;

// The number of blocks in each stage, read from the state_dict names.
std::vector<int64_t> blocks_per_stage(const ModelPtr& model) {
  const TensorMap state = model->state_dict();
  std::vector<int64_t> counts;
  for (int stage = 0;; ++stage) {
    int64_t blocks = 0;
    while (state.count(fmt::format("blocks.{}.{}.bn1.weight", stage, blocks))) {
      ++blocks;
    }
    if (blocks == 0) return counts;
    counts.push_back(blocks);
  }
}

TEST(EfficientNet, ParameterCountsAndStructureEqualTimm) {
  // timm 0.9.16 at 1000 classes: parameter count, len(state_dict()), blocks per stage,
  // num_features, and a few shapes that the width and depth scaling decide.
  struct Expected {
    const char* name;
    int64_t parameters;
    size_t keys;
    std::vector<int64_t> blocks;
    int64_t num_features;
    Shape stem, last_projection, se_reduce;
  };
  const Expected expected[] = {
      {"efficientnet_b0",
       5'288'548,
       360,
       {1, 2, 2, 3, 3, 4, 1},
       1280,
       {32, 3, 3, 3},
       {320, 1, 1, 1152},
       {6, 1, 1, 144}},
      {"efficientnet_b1",
       7'794'184,
       508,
       {2, 3, 3, 4, 4, 5, 2},
       1280,
       {32, 3, 3, 3},
       {320, 1, 1, 1920},
       {6, 1, 1, 144}},
      {"efficientnet_b2",
       9'109'994,
       508,
       {2, 3, 3, 4, 4, 5, 2},
       1408,
       {32, 3, 3, 3},
       {352, 1, 1, 2112},
       {6, 1, 1, 144}},
      {"efficientnet_b3",
       12'233'232,
       574,
       {2, 3, 3, 5, 5, 6, 2},
       1536,
       {40, 3, 3, 3},
       {384, 1, 1, 2304},
       {8, 1, 1, 192}},
      {"efficientnet_b4",
       19'341'616,
       706,
       {2, 4, 4, 6, 6, 8, 2},
       1792,
       {48, 3, 3, 3},
       {448, 1, 1, 2688},
       {8, 1, 1, 192}},
  };
  for (const Expected& e : expected) {
    SCOPED_TRACE(e.name);
    ModelPtr model = create_model(e.name);
    EXPECT_EQ(model->num_parameters(), e.parameters);
    EXPECT_EQ(model->state_dict().size(), e.keys);
    EXPECT_EQ(blocks_per_stage(model), e.blocks);
    EXPECT_EQ(model->num_features(), e.num_features);
    EXPECT_EQ(state_shape(*model, "conv_stem.weight"), e.stem);
    const int64_t last_block = e.blocks.back() - 1;
    EXPECT_EQ(state_shape(*model, fmt::format("blocks.6.{}.conv_pwl.weight", last_block)),
              e.last_projection);
    EXPECT_EQ(state_shape(*model, "blocks.2.0.se.conv_reduce.weight"), e.se_reduce);
  }
}

TEST(EfficientNet, StateDictNamesAreTimms) {
  ModelPtr model = create_model("efficientnet_b0", {.num_classes = 10});
  // The first stage is depthwise-separable; its SE is sized from the input width (32/4).
  EXPECT_EQ(state_shape(*model, "blocks.0.0.conv_dw.weight"), (Shape{32, 3, 3, 1}));
  EXPECT_EQ(state_shape(*model, "blocks.0.0.se.conv_reduce.weight"), (Shape{8, 1, 1, 32}));
  EXPECT_EQ(state_shape(*model, "blocks.0.0.se.conv_expand.bias"), (Shape{32}));
  EXPECT_EQ(state_shape(*model, "blocks.0.0.conv_pw.weight"), (Shape{16, 1, 1, 32}));
  EXPECT_EQ(state_shape(*model, "blocks.0.0.bn2.running_var"), (Shape{16}));
  // Inverted residuals: expand, depthwise (5x5 in stage 2), SE, project.
  EXPECT_EQ(state_shape(*model, "blocks.2.1.conv_pw.weight"), (Shape{240, 1, 1, 40}));
  EXPECT_EQ(state_shape(*model, "blocks.2.1.conv_dw.weight"), (Shape{240, 5, 5, 1}));
  EXPECT_EQ(state_shape(*model, "blocks.2.1.se.conv_reduce.weight"), (Shape{10, 1, 1, 240}));
  EXPECT_EQ(state_shape(*model, "blocks.2.1.bn3.num_batches_tracked"), (Shape{}));
  EXPECT_EQ(state_shape(*model, "conv_head.weight"), (Shape{1280, 1, 1, 320}));
  EXPECT_EQ(state_shape(*model, "bn2.weight"), (Shape{1280}));
  EXPECT_EQ(state_shape(*model, "classifier.weight"), (Shape{10, 1280}));
  EXPECT_EQ(model->classifier_name(), "classifier");
  EXPECT_EQ(model_info("efficientnet_b3").default_img_size, 288);  // timm's default_cfg
}

TEST(EfficientNet, AnyInputSizeAndChannelCount) {
  manual_seed(0);
  ModelPtr model = create_model("efficientnet_b0", {.num_classes = 5, .in_chans = 1});
  model->eval();
  // 50 -> 25 -> 13 -> 7 -> 4 -> 2, with timm's symmetric padding.
  const Tensor features = model->forward_features(randn({2, 50, 50, 1}));
  EXPECT_EQ(features.shape(), (Shape{2, 2, 2, 1280}));
  EXPECT_EQ(model->forward(randn({1, 32, 40, 1})).shape(), (Shape{1, 5}));
  EXPECT_EQ(state_shape(*model, "conv_stem.weight"), (Shape{32, 3, 3, 1}));
  // Without a classifier the model gives the pooled features.
  model->reset_classifier(0);
  EXPECT_EQ(model->forward(randn({1, 32, 32, 1})).shape(), (Shape{1, 1280}));
  EXPECT_EQ(model->state_dict().count("classifier.weight"), 0u);
}

TEST(EfficientNet, DropPathRisesLinearlyOverTheBlocks) {
  ModelPtr model = create_model("efficientnet_b0", {.drop_path_rate = 0.2});
  std::vector<std::pair<std::string, double>> rates;
  for (const auto& [name, module] : model->named_modules()) {
    if (auto* drop = dynamic_cast<DropPath*>(module)) rates.emplace_back(name, drop->p);
  }
  ASSERT_EQ(rates.size(), 16u);
  EXPECT_EQ(rates.front().first, "blocks.0.0.drop_path");
  EXPECT_EQ(rates.front().second, 0.0);
  EXPECT_EQ(rates[3].first, "blocks.2.0.drop_path");
  EXPECT_DOUBLE_EQ(rates[3].second, 0.2 * 3 / 16);
  EXPECT_DOUBLE_EQ(rates.back().second, 0.2 * 15 / 16);
}

TEST(EfficientNet, GradCheckpointingGivesTheSameGradients) {
  // Training mode with dropout and drop path: the replay must draw the same masks.
  manual_seed(7);
  ModelPtr model =
      create_model("efficientnet_b0", {.num_classes = 4, .drop_rate = 0.2, .drop_path_rate = 0.3});
  manual_seed(3);
  testing::expect_checkpointing_keeps_gradients(*model, randn({2, 32, 32, 3}), 1e-6, 1e-5);
}

TEST(EfficientNet, InitialisesAsTimm) {
  manual_seed(0);
  ModelPtr model = create_model("efficientnet_b0");
  const TensorMap state = model->state_dict();
  auto stddev = [](const Tensor& t) {
    const Tensor d = t.to(DType::f64);
    return std::sqrt(mean(mul(d, d)).item());
  };
  // N(0, 2 / fan_out), fan_out = kh * kw * out / groups.
  EXPECT_NEAR(stddev(state.at("conv_head.weight")), std::sqrt(2.0 / 1280), 0.02 * 0.04);
  EXPECT_NEAR(stddev(state.at("blocks.5.0.conv_dw.weight")), std::sqrt(2.0 / 25), 0.1 * 0.28);
  EXPECT_EQ(max(abs(state.at("blocks.0.0.se.conv_reduce.bias"))).item(), 0.0);
  // The classifier: U(+-1/sqrt(classes)), zero bias.
  const double bound = 1.0 / std::sqrt(1000.0);
  EXPECT_LE(max(abs(state.at("classifier.weight"))).item(), bound);
  EXPECT_NEAR(stddev(state.at("classifier.weight")), bound / std::sqrt(3.0), 0.01 * bound);
  EXPECT_EQ(max(abs(state.at("classifier.bias"))).item(), 0.0);
}

TEST(EfficientNetBuilder, RoundsChannelsAsTimm) {
  EXPECT_EQ(make_divisible(35.2), 32);
  EXPECT_EQ(make_divisible(80 * 2.3), 184);  // 183.99999999999997 in floating point
  EXPECT_EQ(make_divisible(18), 24);         // 16 would lose more than 10%
  EXPECT_EQ(make_divisible(3), 8);
  EXPECT_EQ(round_channels(1280, 1.1), 1408);
  EXPECT_EQ(round_channels(320, 1.4), 448);
  EXPECT_EQ(round_channels(24, 1.0), 24);
}

TEST(EfficientNetBuilder, DecodesBlockStrings) {
  const BlockArgs ir = decode_block("ir_r3_k5_s2_e6_c40_se0.25_nre");
  EXPECT_EQ(ir.type, BlockType::inverted_residual);
  EXPECT_EQ(ir.repeats, 3);
  EXPECT_EQ(ir.kernel, 5);
  EXPECT_EQ(ir.stride, 2);
  EXPECT_EQ(ir.exp_ratio, 6.0);
  EXPECT_EQ(ir.out_chs, 40);
  EXPECT_EQ(ir.se_ratio, 0.25);
  EXPECT_EQ(ir.act, "relu");
  EXPECT_FALSE(ir.noskip);
  const BlockArgs dsa = decode_block("dsa_r1_k3_s1_e1_c16");
  EXPECT_EQ(dsa.type, BlockType::depthwise_separable);
  EXPECT_TRUE(dsa.pw_act && dsa.noskip);
  EXPECT_EQ(dsa.exp_ratio, 1.0);
  EXPECT_EQ(decode_block("cn_r1_k1_s1_c960").type, BlockType::conv_bn_act);
  EXPECT_TRUE(decode_block("ir_r1_k3_s1_e4.5_c24_noskip").noskip);

  EXPECT_ERROR(decode_block("er_r1_k3_s1_e4_c24"), "unknown block type 'er'");
  EXPECT_ERROR(decode_block("ir_r1_k3_s1_e4_c24_gs8"), "'gs8' is not supported");
  EXPECT_ERROR(decode_block("ir_r1_k3_s1_e4"), "needs r<repeats>");
  EXPECT_ERROR(decode_block("ir_r1_k3_s3_e4_c8"), "stride must be 1 or 2");
  EXPECT_ERROR(decode_block("ir_r1_k3_s1_e4_c8_nxx"), "unknown activation 'nxx'");
}

TEST(EfficientNetBuilder, ScalesDepthAsTimm) {
  // timm's decode_arch_def: exp_ratio of each block after scaling a 1+1+2 stage. Python's
  // round() halves to even: 2.5 -> 2 and 1.5 -> 2.
  const ArchDef stage = {{"ir_r1_k3_s2_e6_c80", "ir_r1_k3_s1_e2.5_c80", "ir_r2_k3_s1_e2.3_c80"}};
  auto ratios = [&](double depth) {
    const std::vector<std::vector<BlockArgs>> stages = decode_arch_def(stage, depth);
    std::vector<double> out;
    for (const BlockArgs& b : stages.at(0)) out.push_back(b.exp_ratio);
    return out;
  };
  EXPECT_EQ(ratios(1.0), (std::vector<double>{6, 2.5, 2.3, 2.3}));
  EXPECT_EQ(ratios(1.2), (std::vector<double>{6, 2.5, 2.5, 2.3, 2.3}));
  EXPECT_EQ(ratios(2.0), (std::vector<double>{6, 6, 2.5, 2.5, 2.3, 2.3, 2.3, 2.3}));
}

TEST(EfficientNet, TorchvisionKeysMapToTimms) {
  testing::expect_torchvision_keys(
      "efficientnet_b0",
      {{"features.0.0.weight", "conv_stem.weight"},
       {"features.0.1.running_mean", "bn1.running_mean"},
       {"features.1.0.block.0.0.weight", "blocks.0.0.conv_dw.weight"},
       {"features.1.0.block.1.fc2.bias", "blocks.0.0.se.conv_expand.bias"},
       {"features.1.0.block.2.1.weight", "blocks.0.0.bn2.weight"},
       {"features.3.1.block.0.0.weight", "blocks.2.1.conv_pw.weight"},
       {"features.6.3.block.2.fc1.weight", "blocks.5.3.se.conv_reduce.weight"},
       {"features.7.0.block.3.1.num_batches_tracked", "blocks.6.0.bn3.num_batches_tracked"},
       {"features.8.0.weight", "conv_head.weight"},
       {"features.8.1.bias", "bn2.bias"},
       {"classifier.1.weight", "classifier.weight"}});
  const KeyMap& map = model_info("efficientnet_b0").torchvision_keys;
  EXPECT_THROW(map("features.9.0.weight"), Error);
  EXPECT_THROW(map("features.2.0.block.4.0.weight"), Error);
}

}  // namespace
}  // namespace fovea
