// matmul, bmm, linear and attention: error messages, layouts the GEMM reads in place,
// empty products, autocast, the attention softmax's edge cases, and dropout statistics.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "engine/ops/attention.h"
#include "engine/ops/matmul.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::random_leaf;

// A bool tensor from 0/1 values (std::vector<bool> has no data() to copy from).
Tensor bool_mask(const std::vector<int32_t>& bits, const Shape& shape) {
  return ne(from_vector<int32_t>(bits, shape), 0.0);
}

void expect_error(const std::function<void()>& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no error thrown; expected one containing: " << fragment;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

Tensor randn_f32(const Shape& shape, uint64_t seed) {
  Generator generator(seed);
  return randn(shape, {}, &generator);
}

// ---------------------------------------------------------------- errors

TEST(MatmulUnit, ErrorsNameTheOpAndShapes) {
  const Tensor a = zeros({2, 3}), b = zeros({4, 5});
  expect_error([&] { matmul(a, b); }, "matmul: inner dimensions differ: [2, 3] x [4, 5] (3 vs 4)");
  expect_error(
      [&] {
        matmul(zeros({2, 3, 4}), zeros({5, 4, 6}));
      },
      "matmul: batch dims do not broadcast: [2, 3, 4] x [5, 4, 6]");
  expect_error([&] { matmul(zeros({}), zeros({3})); },
               "matmul: both arguments need at least 1 dim, got [] x [3]");
  expect_error(
      [&] {
        matmul(zeros({2, 3}), zeros({3, 2}, {.dtype = DType::f64}));
      },
      "matmul: dtypes differ: f32 [2, 3] x f64 [3, 2]");
  expect_error(
      [&] {
        matmul(zeros({2, 3}, {.dtype = DType::i64}), zeros({3, 2}));
      },
      "matmul: first argument must be a floating tensor");
  expect_error(
      [&] {
        bmm(zeros({2, 3}), zeros({2, 3, 4}));
      },
      "bmm: expected 3-D tensors [B, M, K] x [B, K, N], got [2, 3] x [2, 3, 4]");
  expect_error(
      [&] {
        bmm(zeros({2, 3, 4}), zeros({3, 4, 5}));
      },
      "bmm: batch sizes differ: [2, 3, 4] x [3, 4, 5] (2 vs 3)");
  expect_error(
      [&] {
        bmm(zeros({2, 3, 4}), zeros({2, 5, 5}));
      },
      "bmm: inner dimensions differ: [2, 3, 4] x [2, 5, 5] (4 vs 5)");
}

TEST(MatmulUnit, LinearErrors) {
  expect_error(
      [&] {
        linear(zeros({2, 5}), zeros({3, 4}));
      },
      "linear: input's last dim (5) differs from weight's in features (4)");
  expect_error(
      [&] {
        linear(zeros({2, 4}), zeros({3, 4, 1}));
      },
      "linear: weight must be 2-D [out, in], got [3, 4, 1]");
  expect_error(
      [&] {
        linear(zeros({2, 4}), zeros({3, 4}), zeros({4}));
      },
      "linear: bias must have shape [3] for weight [3, 4], got [4]");
  expect_error(
      [&] {
        linear(zeros({2, 4}), zeros({3, 4}, {.dtype = DType::f64}));
      },
      "linear: input is f32 but weight is f64");
}

TEST(AttentionUnit, Errors) {
  const Tensor q = zeros({2, 3, 4}), k = zeros({2, 5, 4}), v = zeros({2, 5, 6});
  expect_error(
      [&] {
        scaled_dot_product_attention(q, zeros({2, 5, 3}), v);
      },
      "scaled_dot_product_attention: shapes do not fit q [..., L, D], k [..., S, D], "
      "v [..., S, Dv]: got q [2, 3, 4], k [2, 5, 3], v [2, 5, 6]");
  expect_error(
      [&] {
        scaled_dot_product_attention(q, k, zeros({5, 6}));
      },
      "with the same number of dims");
  expect_error(
      [&] {
        scaled_dot_product_attention(q, k, v, {.mask = zeros({3, 5})});
      },
      "scaled_dot_product_attention: mask must be a bool tensor");
  expect_error(
      [&] {
        scaled_dot_product_attention(q, k, v, {.bias = zeros({4, 5})});
      },
      "scaled_dot_product_attention: bias of shape [4, 5] does not broadcast to the "
      "scores [..., L, S] = [2, 3, 5]");
  expect_error([&] { scaled_dot_product_attention(q, k, v, {.dropout_p = 1.0}); },
               "dropout_p must be in [0, 1), got 1");
}

// ---------------------------------------------------------------- layouts and values

TEST(MatmulUnit, MatchesAHandWrittenProduct) {
  const Tensor a = from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = from_vector<double>({7, 8, 9, 10, 11, 12}, {3, 2});
  EXPECT_ALL_CLOSE(matmul(a, b), from_vector<double>({58, 64, 139, 154}, {2, 2}), 0, 0);
  EXPECT_ALL_CLOSE(matmul(a.select(0, 1), b.select(1, 0)), from_vector<double>({139}, {}), 0, 0);
}

TEST(MatmulUnit, EveryLayoutAgreesWithContiguousCopies) {
  // Transposed, sliced, narrowed, expanded and permuted operands go through other GEMM
  // paths (transpose flags, leading dims, stride-0 and outer-loop batches, copies) than
  // their contiguous copies; all must give the same numbers.
  const Tensor base = randn_f32({4, 6, 8}, 1);
  const Tensor other = randn_f32({3, 8, 6}, 2);
  struct Case {
    Tensor a, b;
  };
  const std::vector<Case> cases = {
      {base.transpose(1, 2), base},                                  // [4, 8, 6] x [4, 6, 8]
      {base.narrow(2, 1, 5), other.select(0, 0).narrow(0, 0, 5)},    // ld > cols
      {base.slice(2, 0, 8, 2), other.select(0, 2).narrow(0, 0, 4)},  // stepped: copied
      {base.select(0, 0).expand({5, 6, 8}), other.select(0, 1)},     // expanded batch
      {base.unsqueeze(1), other.transpose(1, 2).transpose(1, 2)},    // [4,1,6,8] x [3,8,6]
      {base.permute({1, 0, 2}), base.permute({1, 2, 0})},  // strided batch, column-major b
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Tensor& a = cases[i].a;
    const Tensor& b = cases[i].b;
    SCOPED_TRACE("case " + std::to_string(i) + ": " + shape_str(a.shape()) + " x " +
                 shape_str(b.shape()));
    EXPECT_ALL_CLOSE(matmul(a, b), matmul(a.contiguous(), b.contiguous()), 1e-5, 1e-5);
  }
}

TEST(MatmulUnit, EmptyProducts) {
  const Tensor y = matmul(zeros({2, 3, 0}), zeros({0, 4}));  // K = 0: all zeros
  EXPECT_EQ(y.shape(), (Shape{2, 3, 4}));
  EXPECT_ALL_CLOSE(y, zeros({2, 3, 4}), 0, 0);
  EXPECT_EQ(matmul(zeros({0, 3}), zeros({3, 4})).shape(), (Shape{0, 4}));
  EXPECT_EQ(linear(zeros({0, 3}), zeros({5, 3}), zeros({5})).shape(), (Shape{0, 5}));
}

TEST(MatmulUnit, LinearEqualsMatmulPlusBias) {
  const Tensor x = randn_f32({2, 3, 4}, 3), w = randn_f32({5, 4}, 4), b = randn_f32({5}, 5);
  EXPECT_ALL_CLOSE(linear(x, w, b), add(matmul(x, w.transpose(0, 1)), b), 1e-6, 1e-6);
  EXPECT_ALL_CLOSE(linear(x.select(0, 0).select(0, 0), w), matmul(w, x.select(0, 0).select(0, 0)),
                   1e-6, 1e-6);
}

// ---------------------------------------------------------------- autocast

TEST(MatmulUnit, AutocastComputesInF32AndRoundsOnce) {
  const Tensor a = randn_f32({3, 5, 7}, 6).requires_grad_(), b = randn_f32({7, 4}, 7);
  const Tensor w = randn_f32({4, 7}, 8).requires_grad_(), bias = randn_f32({4}, 9);
  auto round_trip = [](const Tensor& t) { return t.detach().to(DType::bf16).to(DType::f32); };
  Tensor y, z, u;
  {
    AutocastGuard autocast(DType::bf16);
    y = matmul(a, b);
    z = linear(a, w, bias);
    u = bmm(a, a.transpose(1, 2));
  }
  EXPECT_EQ(y.dtype(), DType::bf16);
  EXPECT_EQ(z.dtype(), DType::bf16);
  EXPECT_EQ(u.dtype(), DType::bf16);
  // The f32 product of the bf16-rounded inputs, rounded to bf16 once: bit for bit.
  EXPECT_ALL_CLOSE(y, matmul(round_trip(a), round_trip(b)).to(DType::bf16), 0, 0);
  EXPECT_ALL_CLOSE(z, linear(round_trip(a), round_trip(w), round_trip(bias)).to(DType::bf16), 0, 0);
  sum(z).backward();
  ASSERT_TRUE(w.grad().defined());
  EXPECT_EQ(w.grad().dtype(), DType::f32);  // master weights get f32 gradients
  EXPECT_EQ(a.grad().dtype(), DType::f32);
}

TEST(AttentionUnit, AutocastRunsInBf16) {
  const Tensor q = randn_f32({2, 5, 8}, 10).requires_grad_();
  const Tensor k = randn_f32({2, 6, 8}, 11), v = randn_f32({2, 6, 4}, 12);
  const Tensor bias = randn_f32({5, 6}, 13).requires_grad_();
  Tensor y;
  {
    AutocastGuard autocast(DType::bf16);
    y = scaled_dot_product_attention(q, k, v, {.bias = bias});
  }
  EXPECT_EQ(y.dtype(), DType::bf16);
  EXPECT_ALL_CLOSE(y.to(DType::f32), scaled_dot_product_attention(q, k, v, {.bias = bias}), 2e-2,
                   2e-2);
  sum(y).backward();
  EXPECT_EQ(q.grad().dtype(), DType::f32);
  EXPECT_EQ(bias.grad().dtype(), DType::f32);
}

// ---------------------------------------------------------------- attention behaviour

// softmax over the last dim, from differentiable elementwise ops.
Tensor softmax_last(const Tensor& scores) {
  const Tensor shifted = sub(scores, max(scores, -1, true).values.detach());
  const Tensor e = exp(shifted);
  return div(e, sum(e, {-1}, true));
}

TEST(AttentionUnit, ProbabilitiesAndAFullyMaskedRow) {
  const Tensor q = randn_f32({2, 3, 4}, 14).requires_grad_();
  const Tensor k = randn_f32({2, 5, 4}, 15).requires_grad_();
  const Tensor v = randn_f32({2, 5, 2}, 16).requires_grad_();
  // Query 1 may attend to nothing.
  const Tensor mask = bool_mask({1, 0, 1, 1, 0,  //
                                 0, 0, 0, 0, 0,  //
                                 1, 1, 1, 1, 1},
                                {3, 5});
  Tensor probabilities;
  const Tensor y =
      scaled_dot_product_attention(q, k, v, {.mask = mask, .probabilities = &probabilities});
  ASSERT_EQ(probabilities.shape(), (Shape{2, 3, 5}));
  EXPECT_FALSE(probabilities.requires_grad());
  EXPECT_ALL_CLOSE(sum(probabilities, {-1}), from_vector<float>({1, 0, 1, 1, 0, 1}, {2, 3}), 1e-6,
                   0);
  EXPECT_ALL_CLOSE(mul(probabilities, logical_not(mask).to(DType::f32)), zeros({2, 3, 5}), 0, 0);
  EXPECT_ALL_CLOSE(y.select(1, 1), zeros({2, 2}), 0, 0);
  sum(y).backward();
  EXPECT_ALL_CLOSE(q.grad().select(1, 1), zeros({2, 4}), 0, 0);  // finite and zero
  EXPECT_TRUE(testing::all_close(k.grad(), k.grad(), 0, 0));     // no NaN anywhere
  EXPECT_TRUE(testing::all_close(v.grad(), v.grad(), 0, 0));
}

TEST(AttentionUnit, ProbabilitiesAreACopyOfWhatBackwardUses) {
  const Tensor q = randn_f32({2, 3, 4}, 26).requires_grad_();
  const Tensor k = randn_f32({2, 5, 4}, 27), v = randn_f32({2, 5, 2}, 28);
  Tensor probabilities;
  const Tensor y = scaled_dot_product_attention(q, k, v, {.probabilities = &probabilities});
  probabilities.fill_(0.0);  // the caller may edit the map
  sum(y).backward();
  const Tensor fresh_q = q.detach().clone().requires_grad_();
  sum(scaled_dot_product_attention(fresh_q, k, v)).backward();
  EXPECT_ALL_CLOSE(q.grad(), fresh_q.grad(), 0, 0);
}

TEST(AttentionUnit, SoftmaxIsStableForHugeScores) {
  // Scores around 1e4 overflow exp() unless the row maximum is subtracted first.
  const Tensor q = mul(randn_f32({1, 4, 8}, 17), 100.0), k = mul(randn_f32({1, 6, 8}, 18), 100.0);
  const Tensor v = randn_f32({1, 6, 3}, 19);
  Tensor probabilities;
  const Tensor y = scaled_dot_product_attention(q, k, v, {.probabilities = &probabilities});
  const Tensor q64 = q.to(DType::f64), k64 = k.to(DType::f64);
  const Tensor expected = softmax_last(div(matmul(q64, k64.transpose(1, 2)), std::sqrt(8.0)));
  EXPECT_ALL_CLOSE(probabilities, expected.to(DType::f32), 1e-5, 1e-4);
  EXPECT_ALL_CLOSE(y, matmul(expected, v.to(DType::f64)).to(DType::f32), 1e-4, 1e-4);
}

TEST(AttentionUnit, DropoutStatistics) {
  // With v = I the output is the dropped probability map itself.
  const int64_t batch = 4, len = 64;
  const double p = 0.25;
  const Tensor q = randn_f32({batch, len, 8}, 20), k = randn_f32({batch, len, 8}, 21);
  std::vector<float> eye(len * len, 0.0f);
  for (int64_t i = 0; i < len; ++i) eye[i * len + i] = 1.0f;
  const Tensor identity = from_vector<float>(eye, {len, len}).expand({batch, len, len});
  Tensor probabilities;
  const Tensor dropped = scaled_dot_product_attention(
      q, k, identity, {.dropout_p = p, .probabilities = &probabilities});
  const std::vector<float> out = dropped.to_vector<float>();
  const std::vector<float> probs = probabilities.to_vector<float>();
  int64_t zeros_seen = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    ASSERT_GT(probs[i], 0.0f);
    if (out[i] == 0.0f) {
      ++zeros_seen;
    } else {
      ASSERT_NEAR(out[i], probs[i] / (1 - p), 1e-6 * probs[i]) << "kept entries scale by 1/(1-p)";
    }
  }
  // 16384 Bernoulli(0.25) draws: the standard deviation of the fraction is 0.0034.
  const double fraction = static_cast<double>(zeros_seen) / static_cast<double>(out.size());
  EXPECT_NEAR(fraction, p, 0.02);
  // Another call draws a new mask; replaying the generator state repeats one.
  const Tensor again = scaled_dot_product_attention(q, k, identity, {.dropout_p = p});
  EXPECT_FALSE(testing::all_close(again, dropped, 0, 0));
  Tensor first, replay;
  {
    RngStateGuard guard({.seed = 5, .offset = 0});
    first = scaled_dot_product_attention(q, k, identity, {.dropout_p = p});
  }
  {
    RngStateGuard guard({.seed = 5, .offset = 0});
    replay = scaled_dot_product_attention(q, k, identity, {.dropout_p = p});
  }
  EXPECT_ALL_CLOSE(first, replay, 0, 0);
}

TEST(AttentionUnit, DropoutBackwardMatchesTheComposedOps) {
  // Read the forward's mask through v = I, then rebuild the same computation from
  // differentiable ops with that mask fixed: every gradient must agree.
  const double p = 0.5;
  const RngState state{.seed = 11, .offset = 3};
  const Tensor q = random_leaf({2, 5, 3}, 22), k = random_leaf({2, 6, 3}, 23);
  const Tensor v = random_leaf({2, 6, 4}, 24);
  std::vector<double> eye(36, 0.0);
  for (int i = 0; i < 6; ++i) eye[i * 6 + i] = 1.0;
  Tensor keep;
  {
    RngStateGuard guard(state);
    NoGradGuard no_grad;
    keep = ne(scaled_dot_product_attention(q, k, from_vector<double>(eye, {6, 6}).expand({2, 6, 6}),
                                           {.dropout_p = p}),
              0.0)
               .to(DType::f64);
  }
  Tensor y;
  {
    RngStateGuard guard(state);
    y = scaled_dot_product_attention(q, k, v, {.dropout_p = p});
  }
  const Tensor gy = random_leaf({2, 5, 4}, 25).detach();
  y.backward(gy);
  const TensorList fused = {q.grad(), k.grad(), v.grad()};
  for (const Tensor& t : {q, k, v}) t.set_grad(Tensor());
  const Tensor scores = div(matmul(q, k.transpose(1, 2)), std::sqrt(3.0));
  const Tensor composed = matmul(mul(softmax_last(scores), div(keep, 1 - p)), v);
  EXPECT_ALL_CLOSE(y, composed, 1e-12, 1e-10);
  composed.backward(gy);
  EXPECT_ALL_CLOSE(fused[0], q.grad(), 1e-12, 1e-10);
  EXPECT_ALL_CLOSE(fused[1], k.grad(), 1e-12, 1e-10);
  EXPECT_ALL_CLOSE(fused[2], v.grad(), 1e-12, 1e-10);
}

}  // namespace
}  // namespace fovea
