// Finite-difference checks of matmul, bmm, linear and scaled dot-product attention in
// f64: every operand, with broadcasting, transposed / sliced / expanded operands (the
// layouts the GEMM reads in place and the ones it must copy), and odd sizes.
#include <gtest/gtest.h>

#include "engine/ops/attention.h"
#include "engine/ops/matmul.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::gradcheck;
using testing::random_leaf;

// A bool tensor from 0/1 values (std::vector<bool> has no data() to copy from).
Tensor bool_mask(const std::vector<int32_t>& bits, const Shape& shape) {
  return ne(from_vector<int32_t>(bits, shape), 0.0);
}

Tensor matmul_of(const TensorList& in) {
  return matmul(in[0], in[1]);
}

TEST(MatmulGradcheck, EveryRankCombination) {
  EXPECT_TRUE(gradcheck(matmul_of, {random_leaf({5}, 1), random_leaf({5}, 2)}));
  EXPECT_TRUE(gradcheck(matmul_of, {random_leaf({3}, 3), random_leaf({3, 4}, 4)}));
  EXPECT_TRUE(gradcheck(matmul_of, {random_leaf({2, 3}, 5), random_leaf({3}, 6)}));
  EXPECT_TRUE(gradcheck(matmul_of, {random_leaf({2, 3}, 7), random_leaf({3, 5}, 8)}));
  EXPECT_TRUE(gradcheck(matmul_of, {random_leaf({3}, 9), random_leaf({2, 3, 4}, 10)}));
  EXPECT_TRUE(gradcheck(matmul_of, {random_leaf({2, 2, 3}, 11), random_leaf({3}, 12)}));
}

TEST(MatmulGradcheck, BroadcastBatches) {
  // [2, 1, 2, 3] x [3, 3, 2]: both operands broadcast, so the batch is an outer loop.
  EXPECT_TRUE(gradcheck(matmul_of, {random_leaf({2, 1, 2, 3}, 13), random_leaf({3, 3, 2}, 14)}));
  // A weight shared by the batch (the folded GEMM) and a shared left operand.
  EXPECT_TRUE(gradcheck(matmul_of, {random_leaf({2, 3, 2, 3}, 15), random_leaf({3, 4}, 16)}));
  EXPECT_TRUE(gradcheck(matmul_of, {random_leaf({2, 3}, 17), random_leaf({2, 2, 3, 4}, 18)}));
  // A size-1 batch dim on the right next to a real one.
  EXPECT_TRUE(gradcheck(matmul_of, {random_leaf({3, 2, 3}, 19), random_leaf({1, 3, 2}, 20)}));
}

TEST(MatmulGradcheck, StridedOperands) {
  Tensor a = random_leaf({4, 3}, 21), b = random_leaf({2, 5, 4}, 22);
  // Column-major operands (read with transpose flags).
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) { return matmul(in[0].transpose(0, 1), in[1].transpose(-1, -2)); },
      {a, b}));
  // A stepped slice is neither row- nor column-major and must be copied.
  Tensor wide = random_leaf({3, 8}, 23), c = random_leaf({4, 2}, 24);
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return matmul(in[0].slice(1, 0, 8, 2), in[1]); },
                        {wide, c}));
  // A user-expanded batch (stride 0 on a real batch dim) and a permuted batch.
  Tensor m = random_leaf({3, 4}, 25), batched = random_leaf({3, 2, 4}, 26);
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return matmul(in[0].expand({2, 3, 4}), in[1].permute({1, 2, 0}));  // x [2, 4, 3]
      },
      {m, batched}));
  // Rows of a larger matrix (row stride larger than the row length).
  Tensor big = random_leaf({2, 5, 6}, 27), d = random_leaf({4, 3}, 28);
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return matmul(in[0].narrow(2, 1, 4), in[1]); },
                        {big, d}));
}

TEST(MatmulGradcheck, Bmm) {
  Tensor a = random_leaf({3, 2, 4}, 29), b = random_leaf({3, 4, 5}, 30);
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return bmm(in[0], in[1]); }, {a, b}));
  Tensor at = random_leaf({3, 4, 2}, 31);
  EXPECT_TRUE(
      gradcheck([](const TensorList& in) { return bmm(in[0].transpose(1, 2), in[1]); }, {at, b}));
}

TEST(MatmulGradcheck, Linear) {
  Tensor x = random_leaf({2, 3, 4}, 32), w = random_leaf({5, 4}, 33), bias = random_leaf({5}, 34);
  EXPECT_TRUE(
      gradcheck([](const TensorList& in) { return linear(in[0], in[1], in[2]); }, {x, w, bias}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return linear(in[0], in[1]); }, {x, w}));
  Tensor v = random_leaf({4}, 35);
  EXPECT_TRUE(
      gradcheck([](const TensorList& in) { return linear(in[0], in[1], in[2]); }, {v, w, bias}));
  // A transposed input, which cannot be flattened without a copy.
  Tensor xt = random_leaf({4, 3}, 36);
  EXPECT_TRUE(
      gradcheck([](const TensorList& in) { return linear(in[0].transpose(0, 1), in[1], in[2]); },
                {xt, w, bias}));
}

// q [B, H, L, D], k/v [B, H, S, *] for the attention checks.
struct AttentionLeaves {
  Tensor q, k, v;
};

AttentionLeaves attention_leaves(int64_t l, int64_t s, int64_t d, int64_t dv, uint64_t seed) {
  return {random_leaf({2, 2, l, d}, seed), random_leaf({2, 2, s, d}, seed + 1),
          random_leaf({2, 2, s, dv}, seed + 2)};
}

TEST(AttentionGradcheck, PlainAndCross) {
  const AttentionLeaves self = attention_leaves(3, 3, 4, 4, 40);
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) { return scaled_dot_product_attention(in[0], in[1], in[2]); },
      {self.q, self.k, self.v}));
  const AttentionLeaves cross = attention_leaves(2, 5, 3, 2, 43);
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return scaled_dot_product_attention(in[0], in[1], in[2], {.scale = 0.7});
      },
      {cross.q, cross.k, cross.v}));
}

TEST(AttentionGradcheck, BiasBroadcastOverBatch) {
  const AttentionLeaves t = attention_leaves(3, 4, 2, 3, 46);
  Tensor bias = random_leaf({2, 3, 4}, 49);  // [H, L, S]
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return scaled_dot_product_attention(in[0], in[1], in[2], {.bias = in[3]});
      },
      {t.q, t.k, t.v, bias}));
  Tensor key_bias = random_leaf({4}, 50);  // [S], broadcast over everything else
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return scaled_dot_product_attention(in[0], in[1], in[2], {.bias = in[3]});
      },
      {t.q, t.k, t.v, key_bias}));
}

TEST(AttentionGradcheck, MaskWithAFullyMaskedRow) {
  const AttentionLeaves t = attention_leaves(3, 4, 2, 3, 51);
  Tensor bias = random_leaf({3, 4}, 54);
  // Row 1 may attend to nothing: its output and gradients are zero, never NaN.
  const Tensor mask = bool_mask({1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0}, {3, 4});
  EXPECT_TRUE(gradcheck(
      [&mask](const TensorList& in) {
        return scaled_dot_product_attention(in[0], in[1], in[2], {.bias = in[3], .mask = mask});
      },
      {t.q, t.k, t.v, bias}));
}

TEST(AttentionGradcheck, NonContiguousHeads) {
  // q, k, v as views of a fused [B, L, 3, H, D] projection, the way attention layers cut it.
  Tensor qkv = random_leaf({2, 3, 3, 2, 4}, 55);
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        const Tensor heads = in[0].permute({2, 0, 3, 1, 4});  // [3, B, H, L, D]
        return scaled_dot_product_attention(heads.select(0, 0), heads.select(0, 1),
                                            heads.select(0, 2));
      },
      {qkv}));
}

TEST(AttentionGradcheck, DropoutBackwardUsesTheForwardMask) {
  // Replaying the same Philox state makes every evaluation draw the same mask, so the
  // finite differences see one fixed function; a backward that used another mask fails.
  const AttentionLeaves t = attention_leaves(4, 5, 3, 3, 56);
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        RngStateGuard replay({.seed = 99, .offset = 7});
        return scaled_dot_product_attention(in[0], in[1], in[2], {.dropout_p = 0.4});
      },
      {t.q, t.k, t.v}));
}

}  // namespace
}  // namespace fovea
