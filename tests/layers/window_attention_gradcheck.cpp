// Finite-difference checks of Swin's window attention (v1 and v2, with a shifted-window
// mask over two images) and patch merging, in f64 on tiny shapes: the gradients reach the
// input and the parameters peculiar to each version.
#include <gtest/gtest.h>

#include "layers/patch_merging.h"
#include "layers/window_attention.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::gradcheck;
using testing::random_leaf;

// Two 4x4 grids of 4 channels, shifted by 1 and cut into 2x2 windows: [8, 4, 4].
Tensor windows_of(const Tensor& grid) {
  return window_partition(grid, {2, 2}, {1, 1});
}

TEST(WindowAttentionGradcheck, V1WithMask) {
  manual_seed(0);
  WindowAttention attn(4, 2, {2, 2});
  attn.to(DType::f64);
  const Tensor mask = shifted_window_mask(4, 4, {2, 2}, {1, 1}).to(DType::f64);
  const Tensor grid = random_leaf({2, 4, 4, 4}, 1);
  const Tensor table = random_leaf({9, 2}, 2);
  EXPECT_TRUE(gradcheck(
      [&](const TensorList& in) {
        attn.relative_position_bias_table = in[1];
        return attn.forward(windows_of(in[0]), mask, nullptr);
      },
      {grid, table}));
}

TEST(WindowAttentionGradcheck, V2WithMask) {
  manual_seed(0);
  WindowAttentionV2 attn(4, 2, {2, 2});
  attn.to(DType::f64);
  const Tensor mask = shifted_window_mask(4, 4, {2, 2}, {1, 1}).to(DType::f64);
  auto& cpb_in = dynamic_cast<Linear&>(attn.cpb_mlp->at(0));
  // One logit scale above the log(100) clamp, where the gradient is zero.
  const Tensor logit_scale = from_vector<double>({1.0, 5.0}, {2, 1, 1}).requires_grad_(true);
  EXPECT_TRUE(gradcheck(
      [&](const TensorList& in) {
        attn.q_bias = in[1];
        attn.v_bias = in[2];
        attn.logit_scale = in[3];
        cpb_in.weight = in[4];
        return attn.forward(windows_of(in[0]), mask, nullptr);
      },
      {random_leaf({2, 4, 4, 4}, 1), random_leaf({4}, 2), random_leaf({4}, 3), logit_scale,
       random_leaf({512, 2}, 4)}));
}

TEST(PatchMergingGradcheck, BothNormPositions) {
  for (const auto position :
       {PatchMerging::Norm::before_reduction, PatchMerging::Norm::after_reduction}) {
    manual_seed(0);
    PatchMerging merge(3, 5, position);
    merge.to(DType::f64);
    EXPECT_TRUE(gradcheck(
        [&](const TensorList& in) {
          merge.reduction->weight = in[1];
          return merge(in[0]);
        },
        {random_leaf({2, 4, 2, 3}, 1), random_leaf({5, 12}, 2)}));
  }
}

}  // namespace
}  // namespace fovea
