// The building-block layers: timm state_dict names, parameter shapes, output shapes, and
// modes (train/eval) where they matter.
#include <gtest/gtest.h>

#include "layers/activation.h"
#include "layers/attention.h"
#include "layers/init.h"
#include "layers/mlp.h"
#include "layers/norm.h"
#include "layers/patch_embed.h"
#include "layers/pooling.h"
#include "layers/regularization.h"
#include "layers/squeeze_excite.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

std::vector<std::string> keys(const Module& m) {
  std::vector<std::string> out;
  for (const auto& [name, t] : m.state_dict()) out.push_back(name + shape_str(t.shape()));
  return out;
}

TEST(Layers, ConvAndLinearUseFoveaLayoutsUnderTimmNames) {
  Conv2d conv(8, 16, {.kernel = 3, .stride = 2, .padding = symmetric_padding(3, 2), .groups = 2});
  EXPECT_EQ(keys(conv), (std::vector<std::string>{"bias[16]", "weight[16, 3, 3, 4]"}));
  EXPECT_EQ(conv.options().padding[0], 1);  // timm's symmetric padding for k3 s2
  EXPECT_EQ(Conv2d(8, 4, {.kernel = {1, 7}}).weight.shape(), (Shape{4, 1, 7, 8}));
  EXPECT_EQ(Conv2d(8, 4, {.kernel = 3}).options().padding, (std::array<int64_t, 2>{0, 0}));
  EXPECT_EQ(conv(zeros({2, 9, 9, 8})).shape(), (Shape{2, 5, 5, 16}));
  Linear fc(5, 3, /*bias=*/false);
  EXPECT_EQ(keys(fc), (std::vector<std::string>{"weight[3, 5]"}));
  EXPECT_EQ(fc(zeros({4, 2, 5})).shape(), (Shape{4, 2, 3}));
}

TEST(Layers, BatchNormTracksBatchesOnlyInTraining) {
  BatchNorm2d bn(4);
  EXPECT_EQ(keys(bn), (std::vector<std::string>{"bias[4]", "num_batches_tracked[]",
                                                "running_mean[4]", "running_var[4]", "weight[4]"}));
  manual_seed(0);
  const Tensor x = add(mul(randn({2, 3, 3, 4}), 2.0), 1.0);
  bn(x);
  EXPECT_EQ(bn.num_batches_tracked.item(), 1.0);
  EXPECT_NEAR(bn.running_mean.to_vector<float>()[0], 0.1, 0.1);  // 0.9 * 0 + 0.1 * ~1
  bn.eval();
  const Tensor y = bn(x);
  EXPECT_EQ(bn.num_batches_tracked.item(), 1.0);
  EXPECT_EQ(y.shape(), x.shape());
}

TEST(Layers, SqueezeExciteNamesFollowTheConfig) {
  SqueezeExcite timm_se(32, {.reduced_channels = 8,
                             .act = "silu",
                             .gate = "sigmoid",
                             .reduce_name = "conv_reduce",
                             .expand_name = "conv_expand"});
  EXPECT_EQ(keys(timm_se),
            (std::vector<std::string>{"conv_expand.bias[32]", "conv_expand.weight[32, 1, 1, 8]",
                                      "conv_reduce.bias[8]", "conv_reduce.weight[8, 1, 1, 32]"}));
  // With zero weights the gate is sigmoid(0) = 0.5 everywhere.
  for (auto& [name, p] : timm_se.named_parameters()) init::zeros_(p);
  const Tensor x = ones({1, 2, 2, 32});
  EXPECT_ALL_CLOSE(timm_se(x), full({1, 2, 2, 32}, 0.5), 1e-7, 0);
}

TEST(Layers, TransformerPieces) {
  Attention attn(12, 3);
  EXPECT_EQ(keys(attn), (std::vector<std::string>{"proj.bias[12]", "proj.weight[12, 12]",
                                                  "qkv.bias[36]", "qkv.weight[36, 12]"}));
  Tensor map;
  const Tensor out = attn.forward(randn({2, 5, 12}), &map);
  EXPECT_EQ(out.shape(), (Shape{2, 5, 12}));
  EXPECT_EQ(map.shape(), (Shape{2, 3, 5, 5}));
  EXPECT_ALL_CLOSE(sum(map, {-1}), ones({2, 3, 5}), 1e-6, 0);

  Mlp mlp(12, 48);
  EXPECT_EQ(mlp(zeros({3, 12})).shape(), (Shape{3, 12}));
  EXPECT_EQ(mlp.num_parameters(), 12 * 48 + 48 + 48 * 12 + 12);

  PatchEmbed embed(4, 3, 16);
  EXPECT_EQ(embed(zeros({2, 8, 12, 3})).shape(), (Shape{2, 6, 16}));
  EXPECT_THROW(embed(zeros({1, 10, 12, 3})), Error);

  LayerScale scale(6, 1e-5);
  EXPECT_EQ(keys(scale), (std::vector<std::string>{"gamma[6]"}));
}

TEST(Layers, RegularisationIsIdentityInEval) {
  Dropout drop(0.5);
  DropPath path(0.3);
  const Tensor x = randn({4, 3});
  drop.eval();
  path.eval();
  EXPECT_TRUE(drop(x).is_same(x));
  EXPECT_TRUE(path(x).is_same(x));
  drop.train();
  EXPECT_FALSE(testing::all_close(drop(x), x, 0, 0));
  EXPECT_THROW(Dropout(1.0), Error);
}

TEST(Layers, ActivationsByName) {
  EXPECT_EQ(make_activation("hard_swish")->type_name(), "Hardswish");
  EXPECT_EQ(activation_kind("swish"), ActivationKind::silu);
  EXPECT_THROW(activation_kind("mish"), Error);
  GlobalAvgPool pool;
  EXPECT_EQ(pool(ones({2, 3, 5, 7})).shape(), (Shape{2, 7}));
}

}  // namespace
}  // namespace fovea
