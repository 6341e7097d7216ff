// Swin's window helpers, WindowAttention v1/v2 and PatchMerging: layouts checked against
// values worked out by hand (or printed from timm 0.9.16 where noted).
#include <gtest/gtest.h>

#include "layers/patch_merging.h"
#include "layers/window_attention.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::all_close;

Tensor identity(int64_t n) {
  std::vector<float> values(static_cast<size_t>(n * n), 0.f);
  for (int64_t i = 0; i < n; ++i) values[i * n + i] = 1.f;
  return from_vector(values, {n, n});
}

// A grid whose every entry says where it is: x[b, h, w, c] = 1000 b + 100 h + 10 w + c.
Tensor labelled_grid(int64_t batch, int64_t height, int64_t width, int64_t channels) {
  std::vector<float> values;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < height; ++h)
      for (int64_t w = 0; w < width; ++w)
        for (int64_t c = 0; c < channels; ++c) values.push_back(1000 * b + 100 * h + 10 * w + c);
  return from_vector(values, {batch, height, width, channels});
}

TEST(WindowHelpers, ShiftedWindowMaskSeparatesWrappedRegions) {
  // A 4x4 grid, 2x2 windows, shift 1: window 0 holds tokens of one region only; window 3
  // (bottom right) holds four regions: (in, in), (in, wrapped), (wrapped, in), (wrapped,
  // wrapped) -- every pair of distinct tokens is masked.
  const Tensor mask = shifted_window_mask(4, 4, {2, 2}, {1, 1});
  ASSERT_EQ(mask.shape(), (Shape{4, 4, 4}));
  EXPECT_TRUE(all_close(mask.select(0, 0), zeros({4, 4}), 0, 0));
  const std::vector<float> last = mask.select(0, 3).flatten().to_vector<float>();
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) EXPECT_EQ(last[i * 4 + j], i == j ? 0.f : -100.f);
  // Window 1 (top right): columns 2 (region 1) and 3 (wrapped, region 2).
  EXPECT_EQ(mask.select(0, 1).flatten().to_vector<float>(),
            (std::vector<float>{0, -100, 0, -100, -100, 0, -100, 0,  //
                                0, -100, 0, -100, -100, 0, -100, 0}));
}

TEST(WindowHelpers, RelativePositionIndexMatchesTimm) {
  // timm 0.9.16: get_relative_position_index(2, 2).flatten()
  EXPECT_EQ(relative_position_index({2, 2}).to_vector<int64_t>(),
            (std::vector<int64_t>{4, 3, 1, 0, 5, 4, 2, 1, 7, 6, 4, 3, 8, 7, 5, 4}));
  const std::vector<int64_t> index = relative_position_index({7, 7}).to_vector<int64_t>();
  EXPECT_EQ(index.size(), 49u * 49u);
  EXPECT_EQ(*std::max_element(index.begin(), index.end()), 13 * 13 - 1);
  EXPECT_EQ(index[0], 84);  // offset (0, 0) sits in the middle of the 13x13 table
}

TEST(WindowHelpers, BiasTableResizesPerHead) {
  const Tensor table = cat({full({49, 1}, 2.0), full({49, 1}, -1.0)}, 1);  // window 4, 2 heads
  EXPECT_TRUE(resize_relative_position_bias_table(table, {4, 4}, {4, 4}).is_same(table));
  const Tensor resized = resize_relative_position_bias_table(table, {4, 4}, {7, 7});
  ASSERT_EQ(resized.shape(), (Shape{169, 2}));
  EXPECT_TRUE(all_close(resized.select(1, 0), full({169}, 2.0), 1e-5, 0));
  EXPECT_TRUE(all_close(resized.select(1, 1), full({169}, -1.0), 1e-5, 0));
  EXPECT_THROW(resize_relative_position_bias_table(table, {7, 7}, {4, 4}), Error);
}

TEST(WindowAttention, NamesAndStateFollowTimm) {
  WindowAttention v1(32, 2, {7, 7});
  const TensorMap state = v1.state_dict();
  EXPECT_EQ(state.at("relative_position_bias_table").shape(), (Shape{169, 2}));
  EXPECT_EQ(state.at("qkv.bias").shape(), (Shape{96}));
  EXPECT_FALSE(state.count("relative_position_index"));  // non-persistent in timm

  WindowAttentionV2 v2(32, 2, {8, 8});
  const TensorMap state2 = v2.state_dict();
  for (const char* key : {"logit_scale", "cpb_mlp.0.weight", "cpb_mlp.0.bias", "cpb_mlp.2.weight",
                          "qkv.weight", "q_bias", "v_bias", "proj.weight", "proj.bias"})
    EXPECT_TRUE(state2.count(key)) << key;
  EXPECT_EQ(state2.size(), 9u);  // no k_bias, relative_coords_table, relative_position_index
  EXPECT_NEAR(state2.at("logit_scale").flatten().to_vector<float>()[1], std::log(10.0), 1e-6);
  // The continuous bias' inputs: offset 7 of an 8-window maps to log2(9) / 3 = 1.0566.
  EXPECT_NEAR(v2.relative_coords_table.select(0, 0).to_vector<float>()[0], -std::log2(9.0) / 3,
              1e-6);
}

TEST(WindowAttention, MapsAreMaskedProbabilitiesPerWindow) {
  manual_seed(3);
  WindowAttention attn(8, 2, {2, 2});
  const Tensor mask = shifted_window_mask(4, 4, {2, 2}, {1, 1});  // 4 windows per image
  const Tensor x = randn({2 * 4, 4, 8});                          // 2 images
  Tensor map;
  const Tensor y = attn.forward(x, mask, &map);
  EXPECT_EQ(y.shape(), (Shape{8, 4, 8}));
  ASSERT_EQ(map.shape(), (Shape{8, 2, 4, 4}));
  EXPECT_TRUE(all_close(sum(map, {-1}), ones({8, 2, 4}), 1e-5, 0));
  // Image 1's last window holds four regions of the rolled grid: each token may attend only
  // to itself (the others are 100 logits down).
  EXPECT_TRUE(all_close(map.select(0, 7).select(0, 1), identity(4), 1e-6, 0));
}

TEST(WindowAttention, AttentionDropoutAppliesOnlyInTraining) {
  // Without dropout the layer calls the window_attention op; with attn_drop in training it
  // keeps the composition that has dropout. In eval both give the same output.
  manual_seed(4);
  WindowAttention plain(8, 2, {2, 2});
  WindowAttention dropping(8, 2, {2, 2}, /*qkv_bias=*/true, /*attn_drop=*/0.5);
  dropping.load_state_dict(plain.state_dict());
  const Tensor mask = shifted_window_mask(4, 4, {2, 2}, {1, 1});
  const Tensor x = randn({2 * 4, 4, 8});
  plain.eval();
  dropping.eval();
  const Tensor expected = plain.forward(x, mask, nullptr);
  EXPECT_TRUE(all_close(dropping.forward(x, mask, nullptr), expected, 1e-6, 1e-6));
  dropping.train();
  EXPECT_FALSE(all_close(dropping.forward(x, mask, nullptr), expected, 1e-3, 1e-3));
}

TEST(PatchMerging, ConcatenatesNeighboursInTimmOrderAndNormalisesWhereAsked) {
  PatchMerging v1(2, 3, PatchMerging::Norm::before_reduction);
  PatchMerging v2(2, 3, PatchMerging::Norm::after_reduction);
  EXPECT_EQ(v1.norm->weight.shape(), (Shape{8}));
  EXPECT_EQ(v2.norm->weight.shape(), (Shape{3}));
  // With an identity reduction the order of the merged channels shows: x[0, 0], x[1, 0],
  // x[0, 1], x[1, 1] (row, column), two channels each.
  PatchMerging merge(2, 8, PatchMerging::Norm::after_reduction);
  merge.reduction->weight.detach().copy_(identity(8));
  const Tensor expected = from_vector<float>({0, 1, 100, 101, 10, 11, 110, 111}, {1, 1, 1, 8});
  EXPECT_TRUE(all_close(merge(labelled_grid(1, 2, 2, 2)), layer_norm(expected, {8}), 1e-5, 1e-5));
  try {
    v1(labelled_grid(1, 3, 4, 2));
    FAIL() << "an odd grid cannot be merged";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("even H and W"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fovea
