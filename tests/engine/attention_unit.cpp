// scaled_dot_product_attention and window_attention at their edges on the CPU: a row
// holding NaN gives NaN probabilities (the row maximum lets NaN through, as softmax does)
// instead of passing for an all-masked row, and attention over no keys gives a zero
// output and zero gradients. tests/cuda/attention_cuda.cpp holds the same on CUDA.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops/attention.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/factory.h"
#include "engine/ops/reduction.h"
#include "engine/ops/window_attention.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::random_leaf;

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// [rows, cols] of t (flattened over the leading dims) as doubles.
std::vector<double> values(const Tensor& t) {
  NoGradGuard no_grad;
  return t.to(DType::f64).contiguous().to_vector<double>();
}

// Every entry of row `row` (length `len`) of t is NaN, and every other entry finite.
void expect_only_row_nan(const Tensor& t, int64_t len, int64_t row, int64_t rows_per_block) {
  const std::vector<double> v = values(t);
  for (size_t e = 0; e < v.size(); ++e) {
    const int64_t r = static_cast<int64_t>(e) / len;
    if (r % rows_per_block == row) {
      EXPECT_TRUE(std::isnan(v[e])) << "entry " << e << " = " << v[e];
    } else {
      EXPECT_TRUE(std::isfinite(v[e])) << "entry " << e << " = " << v[e];
    }
  }
}

TEST(AttentionUnit, AnAllNanRowGivesNanNotZero) {
  const Tensor q = random_leaf({2, 3, 4}, 1), k = random_leaf({2, 5, 4}, 2),
               v = random_leaf({2, 5, 2}, 3);
  std::vector<double> bias(3 * 5, 0.0);
  for (int j = 0; j < 5; ++j) bias[1 * 5 + j] = kNan;  // query 1's scores are all NaN
  Tensor probabilities;
  const Tensor y = scaled_dot_product_attention(
      q, k, v, {.bias = from_vector(bias, {3, 5}), .probabilities = &probabilities});
  expect_only_row_nan(probabilities, 5, 1, 3);
  expect_only_row_nan(y, 2, 1, 3);
}

TEST(AttentionUnit, OneNanScoreMakesItsRowNan) {
  const Tensor q = random_leaf({1, 3, 4}, 4), k = random_leaf({1, 5, 4}, 5),
               v = random_leaf({1, 5, 2}, 6);
  std::vector<double> bias(3 * 5, 0.0);
  bias[2 * 5 + 3] = kNan;
  Tensor probabilities;
  scaled_dot_product_attention(
      q, k, v, {.bias = from_vector(bias, {3, 5}), .probabilities = &probabilities});
  expect_only_row_nan(probabilities, 5, 2, 3);
}

TEST(AttentionUnit, NoKeysGiveAZeroOutputAndZeroGradients) {
  const Tensor q = random_leaf({2, 3, 4}, 7);
  const Tensor k = random_leaf({2, 0, 4}, 8), v = random_leaf({2, 0, 5}, 9);
  const Tensor y = scaled_dot_product_attention(q, k, v);
  ASSERT_EQ(y.shape(), (Shape{2, 3, 5}));
  EXPECT_ALL_CLOSE(y, zeros({2, 3, 5}, {.dtype = y.dtype()}), 0, 0);
  sum(y).backward();
  ASSERT_TRUE(q.grad().defined());
  EXPECT_ALL_CLOSE(q.grad(), zeros({2, 3, 4}, {.dtype = q.dtype()}), 0, 0);
  EXPECT_EQ(k.grad().shape(), (Shape{2, 0, 4}));
  EXPECT_EQ(v.grad().shape(), (Shape{2, 0, 5}));
}

TEST(AttentionUnit, ManyLeadingDimsBroadcastTheBias) {
  // The bias layout over lead dims [2, 3, 2] with a size-1 middle dim: offsets in closed
  // form must agree with the broadcast add written out.
  const Tensor q = random_leaf({2, 3, 2, 4, 3}, 10), k = random_leaf({2, 3, 2, 5, 3}, 11),
               v = random_leaf({2, 3, 2, 5, 2}, 12);
  const Tensor bias = random_leaf({2, 1, 2, 4, 5}, 13);
  const Tensor got = scaled_dot_product_attention(q, k, v, {.bias = bias});
  const Tensor full = add(bias, zeros({2, 3, 2, 4, 5}, {.dtype = bias.dtype()}));
  const Tensor expected = scaled_dot_product_attention(q, k, v, {.bias = full});
  EXPECT_ALL_CLOSE(got, expected, 0, 0);
}

// ---------------------------------------------------------------- window attention

TEST(WindowAttentionEdges, FusedIsOneNodeOnTheCpu) {
  // The fused path is chosen by shape alone, so the CPU records the GPU's one node.
  const Tensor q = random_leaf({4, 2, 7, 3}, 14);
  const Tensor y = window_attention(q, q, q, random_leaf({2, 7, 7}, 15), Tensor());
  ASSERT_TRUE(y.grad_fn());
  EXPECT_STREQ(y.grad_fn()->name(), "window_attention");
}

TEST(WindowAttentionEdges, WindowsAboveTheFusedLimitCompose) {
  // 65 tokens: the composition through scaled_dot_product_attention, with the same math.
  const int64_t tokens = 65;
  const Tensor q = random_leaf({2, 1, tokens, 2}, 16), k = random_leaf({2, 1, tokens, 2}, 17),
               v = random_leaf({2, 1, tokens, 2}, 18);
  const Tensor bias = random_leaf({1, tokens, tokens}, 19);
  const Tensor y = window_attention(q, k, v, bias, Tensor(), 0.5);
  ASSERT_TRUE(y.grad_fn());
  EXPECT_STRNE(y.grad_fn()->name(), "window_attention");
  EXPECT_ALL_CLOSE(y, scaled_dot_product_attention(q, k, v, {.bias = bias, .scale = 0.5}), 0, 0);
}

TEST(WindowAttentionEdges, ANanRowGivesNan) {
  const Tensor q = random_leaf({2, 1, 4, 3}, 20);
  std::vector<double> bias(4 * 4, 0.0);
  for (int j = 0; j < 4; ++j) bias[2 * 4 + j] = kNan;
  Tensor probabilities;
  const Tensor y =
      window_attention(q, q, q, from_vector(bias, {1, 4, 4}), Tensor(), 1.0, &probabilities);
  expect_only_row_nan(probabilities, 4, 2, 4);
  expect_only_row_nan(y, 3, 2, 4);
}

TEST(WindowAttentionEdges, Bf16ComputesInF32OnTheCpu) {
  const Tensor q = random_leaf({3, 2, 5, 4}, 21), k = random_leaf({3, 2, 5, 4}, 22),
               v = random_leaf({3, 2, 5, 4}, 23);
  const Tensor bias = random_leaf({2, 5, 5}, 24);
  const Tensor expected = window_attention(q, k, v, bias, Tensor());
  const Tensor got = window_attention(q.to(DType::bf16), k.to(DType::bf16), v.to(DType::bf16),
                                      bias.to(DType::bf16), Tensor());
  EXPECT_EQ(got.dtype(), DType::bf16);
  EXPECT_ALL_CLOSE(got.to(expected.dtype()), expected, 2e-2, 2e-2);
}

}  // namespace
}  // namespace fovea
