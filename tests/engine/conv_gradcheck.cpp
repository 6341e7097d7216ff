// Finite-difference checks of conv2d (dense, grouped, depthwise, 1x1) and the pooling ops,
// in f64 on tiny NHWC shapes, for every differentiable input.
#include <gtest/gtest.h>

#include "engine/ops/conv.h"
#include "engine/ops/pool.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::gradcheck;
using testing::random_leaf;

// Checks conv2d's gradients for x, weight and (when given) bias.
::testing::AssertionResult check_conv(const Shape& x_shape, const Shape& w_shape, bool with_bias,
                                      const Conv2dOptions& options, uint64_t seed) {
  TensorList inputs = {random_leaf(x_shape, seed), random_leaf(w_shape, seed + 1)};
  if (with_bias) inputs.push_back(random_leaf({w_shape[0]}, seed + 2));
  return gradcheck(
      [options](const TensorList& in) {
        return conv2d(in[0], in[1], in.size() > 2 ? in[2] : Tensor(), options);
      },
      inputs);
}

TEST(ConvGradcheck, StrideAndPadding) {
  EXPECT_TRUE(
      check_conv({2, 5, 6, 3}, {4, 3, 3, 3}, true, {.stride = {2, 2}, .padding = {1, 1}}, 1));
}

TEST(ConvGradcheck, RectangularKernelAndUnevenOptions) {
  EXPECT_TRUE(check_conv({1, 6, 7, 2}, {3, 2, 3, 2}, true,
                         {.stride = {1, 2}, .padding = {1, 0}, .dilation = {1, 2}}, 4));
}

TEST(ConvGradcheck, Dilation) {
  EXPECT_TRUE(
      check_conv({1, 7, 6, 2}, {3, 3, 3, 2}, false, {.padding = {2, 2}, .dilation = {2, 2}}, 7));
}

TEST(ConvGradcheck, Groups) {
  EXPECT_TRUE(check_conv({2, 5, 5, 4}, {6, 3, 3, 2}, true, {.padding = {1, 1}, .groups = 2}, 10));
}

TEST(ConvGradcheck, Depthwise3x3) {
  EXPECT_TRUE(check_conv({2, 5, 5, 3}, {3, 3, 3, 1}, true, {.padding = {1, 1}, .groups = 3}, 13));
}

TEST(ConvGradcheck, Depthwise5x5Stride2Multiplier2) {
  EXPECT_TRUE(check_conv({1, 7, 7, 3}, {6, 5, 5, 1}, true,
                         {.stride = {2, 2}, .padding = {2, 2}, .groups = 3}, 16));
}

TEST(ConvGradcheck, OneByOne) {
  EXPECT_TRUE(check_conv({2, 3, 4, 5}, {3, 1, 1, 5}, true, {}, 19));
  EXPECT_TRUE(check_conv({2, 5, 4, 4}, {6, 1, 1, 4}, false, {.stride = {2, 2}}, 22));  // downsample
}

TEST(ConvGradcheck, NonContiguousInput) {
  // An NCHW leaf viewed as NHWC: the op must read through the permutation.
  Tensor x_nchw = random_leaf({2, 3, 5, 4}, 25), w = random_leaf({2, 3, 3, 3}, 26);
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return conv2d(in[0].permute({0, 2, 3, 1}), in[1], Tensor(), {.padding = {1, 1}});
      },
      {x_nchw, w}));
}

TEST(ConvGradcheck, NonContiguousWeight) {
  // A PyTorch-layout OIHW weight leaf viewed as fovea's OHWI.
  Tensor x = random_leaf({1, 5, 5, 4}, 27), w_oihw = random_leaf({6, 2, 3, 3}, 30);
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return conv2d(in[0], in[1].permute({0, 2, 3, 1}), Tensor(),
                      {.padding = {1, 1}, .groups = 2});
      },
      {x, w_oihw}));
}

TEST(ConvGradcheck, FrozenWeight) {
  // Only x asks for a gradient; the weight is a constant.
  const Tensor w = random_leaf({3, 3, 3, 2}, 28).detach();
  EXPECT_TRUE(gradcheck(
      [w](const TensorList& in) {
        return conv2d(in[0], w, Tensor(), {.padding = {1, 1}});
      },
      {random_leaf({1, 4, 4, 2}, 29)}));
}

TEST(PoolGradcheck, MaxPool) {
  Tensor x = random_leaf({2, 7, 6, 3}, 31);
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return max_pool2d(in[0], {3, 3}, {2, 2}, {1, 1});
      },
      {x}));
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return max_pool2d(in[0], {2, 3}, {2, 2}, {1, 0}, true);
      },
      {x}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return max_pool2d(in[0], {2, 2}); }, {x}));
}

TEST(PoolGradcheck, AvgPool) {
  Tensor x = random_leaf({2, 7, 6, 3}, 32);
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return avg_pool2d(in[0], {3, 3}, {2, 2}, {1, 1});
      },
      {x}));
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return avg_pool2d(in[0], {3, 3}, {2, 2}, {1, 1}, true, false);
      },
      {x}));
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return avg_pool2d(in[0], {2, 2}, {2, 2}, {1, 1}, true, true);
      },
      {x}));
}

TEST(PoolGradcheck, AdaptiveAvgPool) {
  Tensor x = random_leaf({2, 5, 7, 3}, 33);
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return adaptive_avg_pool2d(in[0], {3, 4});
      },
      {x}));
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return adaptive_avg_pool2d(in[0], {1, 1});
      },
      {x}));
}

TEST(PoolGradcheck, NonContiguousInput) {
  Tensor x_nchw = random_leaf({2, 3, 6, 5}, 34);
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return max_pool2d(in[0].permute({0, 2, 3, 1}), {2, 2}, {1, 1});
      },
      {x_nchw}));
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return avg_pool2d(in[0].permute({0, 2, 3, 1}), {3, 3}, {2, 2}, {1, 1}, true, false);
      },
      {x_nchw}));
}

}  // namespace
}  // namespace fovea
