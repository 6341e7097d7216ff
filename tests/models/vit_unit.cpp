// The ViT family (vit_base/large_patch16_224, raddino): timm's parameter counts and
// names; and, on small ViTs of the same class (create_vit), timm's initialisation, other
// image sizes and channel counts, attention maps, gradient checkpointing, the torchvision
// key map, and position-embedding resampling when pretrained weights come from another
// grid.
#include <gtest/gtest.h>

#include <cmath>

#include "models/import.h"
#include "models/vit.h"
#include "tests/support/model_testing.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::all_close;
using testing::state_shape;

// A ViT small enough to build in milliseconds: 4x4 patches of 8 pixels at 32x32.
constexpr VitConfig kSmall{.patch_size = 8, .embed_dim = 48, .depth = 3, .num_heads = 3};
constexpr VitConfig kSmallLayerScale{
    .patch_size = 8, .embed_dim = 48, .depth = 3, .num_heads = 3, .layer_scale_init = 0.5};

TEST(Vit, PresetsMatchTimm) {
  // timm 0.9.16, 1000 classes, default image size.
  const ModelPtr base = create_model("vit_base_patch16_224");
  EXPECT_EQ(base->num_parameters(), 86'567'656);
  const TensorMap state = base->state_dict();
  EXPECT_EQ(state.size(), 4 + 12 * 12 + 2 + 2u);
  EXPECT_EQ(state_shape(state, "cls_token"), (Shape{1, 1, 768}));
  EXPECT_EQ(state_shape(state, "pos_embed"), (Shape{1, 197, 768}));
  EXPECT_EQ(state_shape(state, "patch_embed.proj.weight"), (Shape{768, 16, 16, 3}));
  EXPECT_EQ(state_shape(state, "blocks.11.attn.qkv.weight"), (Shape{2304, 768}));
  EXPECT_EQ(state_shape(state, "blocks.11.attn.proj.bias"), (Shape{768}));
  EXPECT_EQ(state_shape(state, "blocks.0.mlp.fc1.weight"), (Shape{3072, 768}));
  EXPECT_EQ(state_shape(state, "blocks.0.norm2.weight"), (Shape{768}));
  EXPECT_EQ(state_shape(state, "norm.bias"), (Shape{768}));
  EXPECT_EQ(state_shape(state, "head.weight"), (Shape{1000, 768}));
  EXPECT_EQ(state.count("blocks.0.ls1.gamma"), 0u);  // no LayerScale in ViT-B

  EXPECT_EQ(create_model("vit_large_patch16_224")->num_parameters(), 304'326'632);

  // raddino = timm's vit_base_patch14_dinov2: 37x37 + 1 positions and LayerScale at 1e-5.
  // timm builds that one without a classifier by default (86,579,712 parameters, the
  // backbone RAD-DINO publishes); with 1000 classes it has 87,348,712.
  const ModelPtr dino = create_model("raddino");
  EXPECT_EQ(dino->num_parameters(), 87'348'712);
  dino->reset_classifier(0);
  EXPECT_EQ(dino->num_parameters(), 86'579'712);
  const TensorMap dino_state = dino->state_dict();
  EXPECT_EQ(state_shape(dino_state, "pos_embed"), (Shape{1, 1 + 37 * 37, 768}));
  EXPECT_EQ(state_shape(dino_state, "patch_embed.proj.weight"), (Shape{768, 14, 14, 3}));
  EXPECT_TRUE(all_close(dino_state.at("blocks.5.ls1.gamma"), full({768}, 1e-5), 0, 0));
  EXPECT_TRUE(all_close(dino_state.at("blocks.11.ls2.gamma"), full({768}, 1e-5), 0, 0));
}

TEST(Vit, InitialisesAsTimm) {
  manual_seed(0);
  const TensorMap state =
      create_vit(kSmallLayerScale, {.num_classes = 100, .img_size = 32})->state_dict();
  auto stddev = [](const Tensor& t) {
    const Tensor centred = sub(t, mean(t));
    return std::sqrt(mean(mul(centred, centred)).item());
  };
  // trunc_normal(0.02) for every Linear, the head included, and zero biases.
  EXPECT_NEAR(stddev(state.at("blocks.1.mlp.fc1.weight")), 0.02, 0.001);
  EXPECT_NEAR(stddev(state.at("head.weight")), 0.02, 0.001);
  EXPECT_EQ(max(abs(state.at("blocks.1.attn.qkv.bias"))).item(), 0.0);
  EXPECT_EQ(max(abs(state.at("head.bias"))).item(), 0.0);
  EXPECT_LT(max(abs(state.at("cls_token"))).item(), 1e-5);
  EXPECT_NEAR(stddev(state.at("pos_embed")), 0.02, 0.003);
  EXPECT_TRUE(all_close(state.at("blocks.0.norm1.weight"), ones({48}), 0, 0));
  EXPECT_TRUE(all_close(state.at("blocks.2.ls2.gamma"), full({48}, 0.5), 0, 0));
}

TEST(Vit, OtherImageSizesChannelsAndNoClassifier) {
  manual_seed(1);
  ModelPtr vit = create_vit(kSmall, {.num_classes = 0, .in_chans = 1, .img_size = 48});
  const TensorMap state = vit->state_dict();
  EXPECT_EQ(state_shape(state, "pos_embed"), (Shape{1, 1 + 6 * 6, 48}));
  EXPECT_EQ(state_shape(state, "patch_embed.proj.weight"), (Shape{48, 8, 8, 1}));
  EXPECT_EQ(state.count("head.weight"), 0u);
  const Tensor x = randn({2, 48, 48, 1});
  EXPECT_EQ(vit->forward_features(x).shape(), (Shape{2, 37, 48}));
  EXPECT_EQ(vit->forward(x).shape(), (Shape{2, 48}));  // the class token's features
  vit->reset_classifier(10);
  EXPECT_EQ(vit->forward(x).shape(), (Shape{2, 10}));
  try {
    vit->forward(randn({1, 32, 32, 1}));
    FAIL() << "a 32x32 input to a model built for 48x48 must throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("built for a 6x6 patch grid (48x48 images)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(create_model("raddino", {.img_size = 30}), Error);  // not a multiple of 14
}

TEST(Vit, AttentionMapsPerBlock) {
  manual_seed(2);
  ModelPtr vit = create_vit(kSmallLayerScale, {.num_classes = 10, .img_size = 32});
  vit->eval();
  const Tensor x = randn({2, 32, 32, 3});
  const std::vector<Tensor> maps = vit->attention_maps(x);
  ASSERT_EQ(maps.size(), 3u);
  for (const Tensor& map : maps) {
    ASSERT_EQ(map.shape(), (Shape{2, 3, 17, 17}));  // class token + 4x4 patches
    EXPECT_TRUE(all_close(sum(map, {-1}), ones({2, 3, 17}), 1e-5, 1e-5));
    EXPECT_FALSE(map.requires_grad());
  }
}

TEST(Vit, GradientCheckpointingGivesTheSameGradients) {
  manual_seed(3);
  ModelPtr vit =
      create_vit(kSmallLayerScale, {.num_classes = 5, .img_size = 32, .drop_path_rate = 0.3});
  const Tensor x = randn({4, 32, 32, 3});
  testing::expect_checkpointing_keeps_gradients(*vit, x);
}

TEST(Vit, TorchvisionKeysMapToTimmNames) {
  testing::expect_torchvision_keys(
      "vit_large_patch16_224",
      {{"class_token", "cls_token"},
       {"conv_proj.weight", "patch_embed.proj.weight"},
       {"encoder.pos_embedding", "pos_embed"},
       {"encoder.layers.encoder_layer_23.ln_1.bias", "blocks.23.norm1.bias"},
       {"encoder.layers.encoder_layer_0.self_attention.in_proj_weight", "blocks.0.attn.qkv.weight"},
       {"encoder.layers.encoder_layer_0.self_attention.out_proj.bias", "blocks.0.attn.proj.bias"},
       {"encoder.layers.encoder_layer_7.mlp.3.weight", "blocks.7.mlp.fc2.weight"},
       {"encoder.layers.encoder_layer_7.mlp.linear_1.bias", "blocks.7.mlp.fc1.bias"},
       {"encoder.ln.weight", "norm.weight"},
       {"heads.head.weight", "head.weight"},
       {"something.else", "something.else"}});  // passes on, reported as unexpected on load
  EXPECT_EQ(model_info("vit_base_patch16_224").torchvision_name, "vit_b_16");
  EXPECT_TRUE(model_info("raddino").torchvision_name.empty());
}

TEST(Vit, PositionEmbeddingResampling) {
  manual_seed(5);
  const Tensor pos = randn({1, 1 + 4 * 4, 8});
  EXPECT_TRUE(all_close(resample_abs_pos_embed(pos, {4, 4}), pos, 0, 0));
  const Tensor resized = resample_abs_pos_embed(pos, {6, 5});
  ASSERT_EQ(resized.shape(), (Shape{1, 1 + 6 * 5, 8}));
  EXPECT_TRUE(all_close(resized.narrow(1, 0, 1), pos.narrow(1, 0, 1), 0, 0));  // class token
  // A constant grid stays constant under bicubic resampling.
  const Tensor flat = cat({zeros({1, 1, 8}), full({1, 16, 8}, 0.5)}, 1);
  EXPECT_TRUE(all_close(resample_abs_pos_embed(flat, {7, 7}).narrow(1, 1, 49),
                        full({1, 49, 8}, 0.5), 1e-6, 1e-6));
  try {
    resample_abs_pos_embed(randn({1, 1 + 15, 8}), {3, 3});
    FAIL() << "15 grid tokens are not a square grid";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("do not form a square grid"), std::string::npos)
        << e.what();
  }
}

TEST(Vit, PretrainedWeightsFromAnotherGridAreResampled) {
  manual_seed(6);
  ModelPtr vit = create_vit(kSmall, {.num_classes = 3, .img_size = 48});  // 6x6 grid
  // A checkpoint of the same network trained at 32x32 (4x4 grid) with 7 classes.
  TensorMap saved;
  for (const auto& [name, tensor] : vit->state_dict()) saved[name] = randn(tensor.shape());
  saved["pos_embed"] = randn({1, 1 + 4 * 4, 48});
  saved["head.weight"] = randn({7, 48});
  saved["head.bias"] = randn({7});
  const std::string path = ::testing::TempDir() + "vit_small_32.safetensors";
  save_safetensors(path, saved);
  load_pretrained(*vit, path);
  const TensorMap loaded = vit->state_dict();
  EXPECT_TRUE(all_close(loaded.at("pos_embed"),
                        resample_abs_pos_embed(saved.at("pos_embed"), {6, 6}), 0, 0));
  EXPECT_TRUE(
      all_close(loaded.at("blocks.1.attn.qkv.weight"), saved.at("blocks.1.attn.qkv.weight"), 0, 0));
  EXPECT_EQ(loaded.at("head.weight").shape(), (Shape{3, 48}));  // the fresh classifier stays
  EXPECT_EQ(vit->forward(randn({1, 48, 48, 3})).shape(), (Shape{1, 3}));
}

}  // namespace
}  // namespace fovea
