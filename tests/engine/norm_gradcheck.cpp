// Finite-difference checks of batch norm, layer norm and group norm in f64: every
// differentiable input, with and without affine parameters, odd sizes, and
// non-contiguous inputs (an NCHW leaf permuted to NHWC inside the test function).
#include <gtest/gtest.h>

#include "engine/ops/norm.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::gradcheck;
using testing::random_leaf;

// NCHW -> NHWC: a non-contiguous view, as an image batch arriving channels-first.
Tensor to_nhwc(const Tensor& nchw) {
  return nchw.permute({0, 2, 3, 1});
}

TEST(NormGradcheck, BatchNormTraining) {
  Tensor x = random_leaf({3, 2, 2, 5}, 1), w = random_leaf({5}, 2, 0.5, 1.5),
         b = random_leaf({5}, 3);
  EXPECT_TRUE(
      gradcheck([](const TensorList& in) { return batch_norm(in[0], in[1], in[2], {}, {}, true); },
                {x, w, b}));
  // Running stats change on every call but must not change the output or the gradient.
  Tensor running_mean = zeros({5}, {.dtype = DType::f64}),
         running_var = ones({5}, {.dtype = DType::f64});
  EXPECT_TRUE(gradcheck(
      [&](const TensorList& in) {
        return batch_norm(in[0], in[1], in[2], running_mean, running_var, true, 0.2);
      },
      {x, w, b}));
  Tensor x2d = random_leaf({4, 3}, 4), w3 = random_leaf({3}, 5, 0.5, 1.5), b3 = random_leaf({3}, 6);
  EXPECT_TRUE(
      gradcheck([](const TensorList& in) { return batch_norm(in[0], in[1], in[2], {}, {}, true); },
                {x2d, w3, b3}));
}

TEST(NormGradcheck, BatchNormEval) {
  Tensor x = random_leaf({2, 3, 2, 5}, 7), w = random_leaf({5}, 8, 0.5, 1.5),
         b = random_leaf({5}, 9);
  const Tensor running_mean = random_leaf({5}, 10).detach();
  const Tensor running_var = random_leaf({5}, 11, 0.5, 2.0).detach();
  EXPECT_TRUE(gradcheck(
      [&](const TensorList& in) {
        return batch_norm(in[0], in[1], in[2], running_mean, running_var, false);
      },
      {x, w, b}));
}

TEST(NormGradcheck, BatchNormWithoutAffine) {
  Tensor x = random_leaf({3, 2, 3, 4}, 12);
  EXPECT_TRUE(
      gradcheck([](const TensorList& in) { return batch_norm(in[0], {}, {}, {}, {}, true); }, {x}));
  // Bias only.
  Tensor b = random_leaf({4}, 13);
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) { return batch_norm(in[0], {}, in[1], {}, {}, true); }, {x, b}));
}

TEST(NormGradcheck, BatchNormNonContiguous) {
  Tensor x = random_leaf({2, 3, 3, 2}, 14), w = random_leaf({3}, 15, 0.5, 1.5),
         b = random_leaf({3}, 16);
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) { return batch_norm(to_nhwc(in[0]), in[1], in[2], {}, {}, true); },
      {x, w, b}));
  const Tensor running_mean = random_leaf({3}, 17).detach();
  const Tensor running_var = random_leaf({3}, 18, 0.5, 2.0).detach();
  EXPECT_TRUE(gradcheck(
      [&](const TensorList& in) {
        return batch_norm(to_nhwc(in[0]), in[1], in[2], running_mean, running_var, false);
      },
      {x, w, b}));
}

// The fused BatchNorm + activation, whose backward recomputes the pre-activation: every
// input, training and eval, relu and silu. The bias shifts the pre-activation away from
// relu's kink at 0 for most elements; finite differences straddling it are unlikely at
// these random values.
TEST(NormGradcheck, BatchNormFusedActivation) {
  using kernels::NormActivation;
  Tensor x = random_leaf({3, 2, 2, 5}, 11), w = random_leaf({5}, 12, 0.5, 1.5),
         b = random_leaf({5}, 13);
  for (NormActivation activation : {NormActivation::relu, NormActivation::silu}) {
    for (bool training : {true, false}) {
      Tensor running_mean = random_leaf({5}, 14).detach(),
             running_var = random_leaf({5}, 15, 0.5, 2.0).detach();
      EXPECT_TRUE(gradcheck(
          [&](const TensorList& in) {
            return batch_norm(in[0], in[1], in[2], running_mean, running_var, training, 0.0, 1e-5,
                              activation);
          },
          {x, w, b}))
          << (activation == NormActivation::relu ? "relu" : "silu")
          << (training ? " training" : " eval");
    }
  }
}

TEST(NormGradcheck, LayerNormOverChannels) {
  Tensor x = random_leaf({2, 3, 2, 5}, 19), w = random_leaf({5}, 20, 0.5, 1.5),
         b = random_leaf({5}, 21);
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return layer_norm(in[0], {5}, in[1], in[2]); },
                        {x, w, b}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return layer_norm(in[0], {5}); }, {x}));
}

TEST(NormGradcheck, LayerNormOverLastTwoDims) {
  Tensor x = random_leaf({3, 4, 3}, 22), w = random_leaf({4, 3}, 23, 0.5, 1.5),
         b = random_leaf({4, 3}, 24);
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return layer_norm(in[0], {4, 3}, in[1], in[2]);
      },
      {x, w, b}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return layer_norm(in[0], {4, 3}); }, {x}));
}

TEST(NormGradcheck, LayerNormNonContiguous) {
  Tensor x = random_leaf({2, 5, 2, 3}, 25), w = random_leaf({5}, 26, 0.5, 1.5),
         b = random_leaf({5}, 27);
  EXPECT_TRUE(
      gradcheck([](const TensorList& in) { return layer_norm(to_nhwc(in[0]), {5}, in[1], in[2]); },
                {x, w, b}));
  // A strided weight (every other element of a longer vector).
  Tensor long_w = random_leaf({10}, 28, 0.5, 1.5);
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return layer_norm(to_nhwc(in[0]), {5}, in[1].slice(0, 0, 10, 2), in[2]);
      },
      {x, long_w, b}));
}

TEST(NormGradcheck, GroupNorm) {
  Tensor x = random_leaf({2, 2, 3, 4}, 29), w4 = random_leaf({4}, 30, 0.5, 1.5),
         b4 = random_leaf({4}, 31);
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return group_norm(in[0], 2, in[1], in[2]); },
                        {x, w4, b4}));
  Tensor y = random_leaf({2, 3, 9}, 32), w9 = random_leaf({9}, 33, 0.5, 1.5),
         b9 = random_leaf({9}, 34);
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return group_norm(in[0], 3, in[1], in[2]); },
                        {y, w9, b9}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return group_norm(in[0], 3); }, {y}));
  Tensor nc = random_leaf({3, 6}, 35);
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return group_norm(in[0], 2); }, {nc}));
}

TEST(NormGradcheck, GroupNormNonContiguous) {
  Tensor x = random_leaf({2, 6, 2, 3}, 36), w = random_leaf({6}, 37, 0.5, 1.5),
         b = random_leaf({6}, 38);
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) { return group_norm(to_nhwc(in[0]), 3, in[1], in[2]); }, {x, w, b}));
}

}  // namespace
}  // namespace fovea
