// RegNetY: exact timm parameter counts, the widths the design-space generator gives
// (checked through timm's state_dict names and shapes), the torchvision key map, input
// variants, drop rates, gradient checkpointing and timm's initialisation.
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

int64_t blocks_in_stage(const Model& model, int stage) {
  int64_t blocks = 0;
  while (has(model, fmt::format("s{}.b{}.conv1.conv.weight", stage, blocks + 1))) ++blocks;
  return blocks;
}

struct StageShape {
  int64_t width, depth, groups, se_of_first_block;
};

// The parameter count and state_dict size at 1000 classes and the four stages, as timm
// 0.9.16 builds them. Creating a RegNetY-8GF costs seconds, and ctest runs each test in a
// process of its own, so each test builds one model and checks all it can on it.
void expect_timms_model(const Model& model, int64_t parameters, size_t state_size,
                        const std::vector<StageShape>& stages) {
  EXPECT_EQ(model.num_parameters(), parameters);
  EXPECT_EQ(model.state_dict().size(), state_size);  // len(timm...state_dict()), buffers too
  for (int s = 1; s <= 4; ++s) {
    SCOPED_TRACE(fmt::format("stage {}", s));
    const StageShape& e = stages[s - 1];
    const std::string b1 = fmt::format("s{}.b1.", s);
    EXPECT_EQ(blocks_in_stage(model, s), e.depth);
    // The grouped 3x3 conv: [width, 3, 3, width / groups].
    EXPECT_EQ(testing::state_shape(model, b1 + "conv2.conv.weight"),
              (Shape{e.width, 3, 3, e.width / e.groups}));
    EXPECT_EQ(testing::state_shape(model, b1 + "se.fc1.weight"),
              (Shape{e.se_of_first_block, 1, 1, e.width}));
    EXPECT_EQ(testing::state_shape(model, b1 + "downsample.conv.weight")[0], e.width);
  }
  EXPECT_EQ(model.num_features(), stages[3].width);
}

TEST(RegNet, Regnety008IsTimmsWithTimmsNamesAndInit) {
  manual_seed(0);
  ModelPtr model = create_model("regnety_008");
  expect_timms_model(*model, 6'263'168, 340,
                     {{64, 1, 4, 8}, {128, 3, 8, 16}, {320, 8, 20, 32}, {768, 2, 48, 80}});

  EXPECT_EQ(testing::state_shape(*model, "stem.conv.weight"), (Shape{32, 3, 3, 3}));
  EXPECT_EQ(testing::state_shape(*model, "stem.bn.running_var"), (Shape{32}));
  EXPECT_EQ(testing::state_shape(*model, "s1.b1.downsample.bn.num_batches_tracked"), (Shape{}));
  EXPECT_EQ(testing::state_shape(*model, "s3.b8.conv3.bn.weight"), (Shape{320}));
  EXPECT_EQ(testing::state_shape(*model, "s3.b8.se.fc2.bias"), (Shape{320}));
  EXPECT_EQ(testing::state_shape(*model, "head.fc.weight"), (Shape{1000, 768}));
  // Identity shortcuts and timm's identity final_conv hold nothing.
  EXPECT_FALSE(has(*model, "s3.b2.downsample.conv.weight"));
  EXPECT_EQ(model->classifier_name(), "head.fc");

  // timm's init: He normal on the fan-out of one group ([320, 3, 3, 16] in 20 groups:
  // sqrt(2 / (9 * 16))), N(0, 0.01) for the classifier, zero biases, and the last BN of
  // each residual branch at zero, so that every block starts as the identity.
  const TensorMap state = model->state_dict();
  const auto std_of = [](const Tensor& t) { return std::sqrt(var(t.flatten(), {0}).item()); };
  EXPECT_NEAR(std_of(state.at("s3.b4.conv2.conv.weight")), std::sqrt(2.0 / (9.0 * 16)), 2e-3);
  EXPECT_NEAR(std_of(state.at("head.fc.weight")), 0.01, 1e-4);
  EXPECT_EQ(max(abs(state.at("head.fc.bias"))).item(), 0.0);
  EXPECT_EQ(max(abs(state.at("s3.b4.se.fc1.bias"))).item(), 0.0);
  EXPECT_EQ(max(abs(state.at("s3.b4.conv3.bn.weight"))).item(), 0.0);
  EXPECT_EQ(max(abs(state.at("s3.b4.conv2.bn.weight"))).item(), 1.0);
}

TEST(RegNet, Regnety080IsTimms) {
  expect_timms_model(*create_model("regnety_080"), 39'180'068, 406,
                     {{168, 2, 3, 8}, {448, 4, 8, 42}, {896, 10, 16, 112}, {2016, 1, 36, 224}});
}

// torchvision rounds the widths to whole groups differently; the counts are timm 0.9.16's
// (and torchvision's regnet_y_800mf / regnet_y_8gf's).
TEST(RegNet, Regnety008TvIsTimms) {
  expect_timms_model(*create_model("regnety_008_tv"), 6'432'512, 340,
                     {{64, 1, 4, 8}, {144, 3, 9, 16}, {320, 8, 20, 36}, {784, 2, 49, 80}});
}

TEST(RegNet, Regnety080TvIsTimms) {
  expect_timms_model(*create_model("regnety_080_tv"), 39'381'472, 406,
                     {{224, 2, 4, 8}, {448, 4, 8, 56}, {896, 10, 16, 112}, {2016, 1, 36, 224}});
}

TEST(RegNet, TorchvisionKeysMapToTimms) {
  const KeyMap& map = model_info("regnety_008_tv").torchvision_keys;
  EXPECT_EQ(map("stem.0.weight"), "stem.conv.weight");
  EXPECT_EQ(map("stem.1.running_mean"), "stem.bn.running_mean");
  EXPECT_EQ(map("trunk_output.block1.block1-0.proj.0.weight"), "s1.b1.downsample.conv.weight");
  EXPECT_EQ(map("trunk_output.block2.block2-2.f.a.1.bias"), "s2.b3.conv1.bn.bias");
  EXPECT_EQ(map("trunk_output.block3.block3-7.f.b.0.weight"), "s3.b8.conv2.conv.weight");
  EXPECT_EQ(map("trunk_output.block3.block3-10.f.se.fc2.bias"), "s3.b11.se.fc2.bias");
  EXPECT_EQ(map("trunk_output.block4.block4-0.f.c.1.num_batches_tracked"),
            "s4.b1.conv3.bn.num_batches_tracked");
  EXPECT_EQ(map("fc.weight"), "head.fc.weight");
  EXPECT_EQ(model_info("regnety_080_tv").torchvision_name, "regnet_y_8gf");
  // The paper-width models exist only in timm.
  EXPECT_THROW(import_state_dict({}, "regnety_008", WeightSource::torchvision), Error);
}

TEST(RegNet, AnyChannelCountImageSizeAndHeadlessModel) {
  manual_seed(0);
  ModelPtr gray = create_model("regnety_008", {.num_classes = 10, .in_chans = 1, .img_size = 28});
  gray->eval();
  EXPECT_EQ(testing::state_shape(*gray, "stem.conv.weight"), (Shape{32, 3, 3, 1}));
  EXPECT_EQ(gray->forward(randn({2, 28, 28, 1})).shape(), (Shape{2, 10}));
  // Every stride-2 conv pads by one, so odd sizes round up: 45 -> 23 -> 12 -> 6 -> 3 -> 2.
  EXPECT_EQ(gray->forward_features(randn({1, 45, 37, 1})).shape(), (Shape{1, 2, 2, 768}));
  // num_classes 0 (here through reset_classifier, as for fine-tuning): pooled features.
  gray->reset_classifier(0);
  EXPECT_EQ(gray->forward(randn({2, 28, 28, 1})).shape(), (Shape{2, 768}));
  EXPECT_FALSE(has(*gray, "head.fc.weight"));
  gray->reset_classifier(3);
  EXPECT_EQ(testing::state_shape(*gray, "head.fc.weight"), (Shape{3, 768}));
}

TEST(RegNet, DropRatesAndGradCheckpointing) {
  manual_seed(3);
  ModelPtr model =
      create_model("regnety_008", {.num_classes = 5, .drop_rate = 0.25, .drop_path_rate = 0.2});
  // timm: linspace(0, rate, 14) over the blocks
  const std::map<std::string, double> rates = testing::drop_path_rates_by_name(*model);
  EXPECT_EQ(rates.size(), 14u);
  EXPECT_DOUBLE_EQ(rates.at("s1.b1.drop_path"), 0.0);
  EXPECT_DOUBLE_EQ(rates.at("s2.b2.drop_path"), 0.2 * 2 / 13);
  EXPECT_DOUBLE_EQ(rates.at("s4.b2.drop_path"), 0.2);
  EXPECT_DOUBLE_EQ(model->head().drop->p, 0.25);  // dropout before the classifier

  // In training mode, so that the recomputation must replay the same drop-path and
  // dropout masks.
  manual_seed(1);
  testing::expect_checkpointing_keeps_gradients(*model, randn({2, 32, 32, 3}));
}

}  // namespace
}  // namespace fovea
