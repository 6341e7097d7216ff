// ViT against torchvision (vit_b_16, vit_l_16: this exercises the key map) and timm
// (vit_base_patch14_dinov2 for raddino: timm's names, LayerScale) with the same weights,
// at a 2x2 patch grid; and position-embedding resampling against timm's.
#include <gtest/gtest.h>

#include "models/vit.h"
#include "tests/support/model_parity.h"

namespace fovea {
namespace {

using testing::check_model_parity;

TEST(ModelParity, VitB16Torchvision) {
  check_model_parity(
      "vit_base_patch16_224", "models_vit/vit_b_16",
      {.source = WeightSource::torchvision, .config = {.num_classes = 10, .img_size = 32}});
}

TEST(ModelParity, VitL16Torchvision) {
  check_model_parity(
      "vit_large_patch16_224", "models_vit/vit_l_16",
      {.source = WeightSource::torchvision, .config = {.num_classes = 10, .img_size = 32}});
}

TEST(ModelParity, RadDinoTimm) {
  check_model_parity("raddino", "models_vit/raddino",
                     {.source = WeightSource::timm, .config = {.num_classes = 10, .img_size = 28}});
}

TEST(ModelParity, PositionEmbeddingResamplingMatchesTimm) {
  const TensorMap reference = load_safetensors(std::string(FOVEA_REFERENCE_DIR) +
                                               "/models_vit/pos_embed_resample.safetensors")
                                  .tensors;
  for (int64_t grid : {4, 24, 37}) {  // down from 14x14, up, and RAD-DINO's grid
    const Tensor& expected = reference.at("grid_" + std::to_string(grid));
    EXPECT_TRUE(testing::all_close(resample_abs_pos_embed(reference.at("src"), {grid, grid}),
                                   expected, 1e-5, 1e-5))
        << "grid " << grid;
  }
}

}  // namespace
}  // namespace fovea
