// conv2d and pooling: argument errors, agreement with a naive loop on shapes that take
// every path of the kernels (chunked pieces, grouped images, 1x1, depthwise), backward as
// the exact adjoint of forward, frozen layers, autocast, and PyTorch's pooling rules.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/autocast.h"
#include "engine/ops/conv.h"
#include "engine/ops/factory.h"
#include "engine/ops/pool.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::random_leaf;

template <typename F>
void expect_error(F&& f, const std::string& text) {
  try {
    f();
    ADD_FAILURE() << "expected a fovea::Error containing: " << text;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

// y[n, oh, ow, o] = sum over taps and the group's channels, straight from the definition.
Tensor naive_conv(const Tensor& x, const Tensor& w, const Conv2dOptions& o) {
  const int64_t n_ = x.size(0), h = x.size(1), wd = x.size(2), cin = x.size(3);
  const int64_t cout = w.size(0), kh = w.size(1), kw = w.size(2), cg = w.size(3);
  const int64_t cog = cout / o.groups;
  const int64_t ho = (h + 2 * o.padding[0] - o.dilation[0] * (kh - 1) - 1) / o.stride[0] + 1;
  const int64_t wo = (wd + 2 * o.padding[1] - o.dilation[1] * (kw - 1) - 1) / o.stride[1] + 1;
  const std::vector<double> xv = x.to_vector<double>(), wv = w.to_vector<double>();
  std::vector<double> y(static_cast<size_t>(n_ * ho * wo * cout), 0.0);
  for (int64_t n = 0; n < n_; ++n)
    for (int64_t oh = 0; oh < ho; ++oh)
      for (int64_t ow = 0; ow < wo; ++ow)
        for (int64_t oc = 0; oc < cout; ++oc) {
          double acc = 0;
          const int64_t g = oc / cog;
          for (int64_t i = 0; i < kh; ++i)
            for (int64_t j = 0; j < kw; ++j) {
              const int64_t ih = oh * o.stride[0] - o.padding[0] + i * o.dilation[0];
              const int64_t iw = ow * o.stride[1] - o.padding[1] + j * o.dilation[1];
              if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
              for (int64_t c = 0; c < cg; ++c) {
                acc += xv[((n * h + ih) * wd + iw) * cin + g * cg + c] *
                       wv[((oc * kh + i) * kw + j) * cg + c];
              }
            }
          y[((n * ho + oh) * wo + ow) * cout + oc] = acc;
        }
  return from_vector(y, {n_, ho, wo, cout});
}

double dot(const Tensor& a, const Tensor& b) {
  const std::vector<double> av = a.to_vector<double>(), bv = b.to_vector<double>();
  double total = 0;
  for (size_t i = 0; i < av.size(); ++i) total += av[i] * bv[i];
  return total;
}

// Forward against the naive loop; backward through the adjoint identities
// <conv(x, w), gy> = <x, dL/dx> = <w, dL/dw>, which hold exactly for a bilinear map.
void check_against_naive(const Shape& x_shape, const Shape& w_shape, const Conv2dOptions& o,
                         uint64_t seed) {
  SCOPED_TRACE("x " + shape_str(x_shape) + " weight " + shape_str(w_shape));
  Tensor x = random_leaf(x_shape, seed), w = random_leaf(w_shape, seed + 1);
  const Tensor y = conv2d(x, w, Tensor(), o);
  EXPECT_ALL_CLOSE(y, naive_conv(x.detach(), w.detach(), o), 1e-12, 1e-12);
  const Tensor gy = random_leaf(y.shape(), seed + 2).detach();
  y.backward(gy);
  const double forward = dot(y.detach(), gy);
  EXPECT_NEAR(dot(x.detach(), x.grad()), forward, 1e-9 * std::abs(forward) + 1e-9);
  EXPECT_NEAR(dot(w.detach(), w.grad()), forward, 1e-9 * std::abs(forward) + 1e-9);
}

TEST(ConvUnit, MatchesNaiveLoopOnEveryKernelPath) {
  // Batch 1, wide rows: the shifted-rows path, parallel inside the image.
  check_against_naive({1, 64, 64, 32}, {8, 3, 3, 32}, {.padding = {1, 1}}, 1);
  // The shifted-rows path over several images, without padding, and a 1x3 kernel.
  check_against_naive({3, 5, 17, 4}, {6, 3, 3, 4}, {.padding = {1, 1}}, 2);
  check_against_naive({3, 4, 40, 4}, {6, 3, 3, 4}, {}, 3);
  check_against_naive({2, 3, 20, 5}, {4, 1, 3, 5}, {.padding = {0, 1}}, 5);
  // Batch 1 at stride 2 with an im2col matrix bigger than one piece: chunks inside one
  // image, and col2im.
  check_against_naive({1, 130, 130, 32}, {8, 3, 3, 32}, {.stride = {2, 2}, .padding = {1, 1}}, 8);
  // Stride 1 with more padding than the kernel reaches: backward-data through col2im.
  check_against_naive({2, 4, 5, 3}, {4, 1, 1, 3}, {.padding = {1, 1}}, 9);
  // Several images per work item, an odd batch, groups and stride.
  check_against_naive({5, 9, 9, 6}, {4, 3, 3, 3},
                      {.stride = {2, 2}, .padding = {1, 1}, .groups = 2}, 4);
  // 1x1 stride 1: the GEMM reads x directly; also grouped.
  check_against_naive({3, 4, 5, 8}, {6, 1, 1, 4}, {.groups = 2}, 7);
  // Dilation with a rectangular kernel.
  check_against_naive({2, 8, 7, 3}, {5, 2, 3, 3}, {.padding = {1, 2}, .dilation = {2, 2}}, 10);
  // Depthwise with multiplier 2, stride and dilation.
  check_against_naive({3, 9, 8, 4}, {8, 3, 3, 1},
                      {.stride = {2, 1}, .padding = {2, 1}, .dilation = {2, 1}, .groups = 4}, 13);
  // Depthwise with more channels than one channel block of the kernel.
  check_against_naive({2, 6, 6, 80}, {80, 5, 5, 1}, {.padding = {2, 2}, .groups = 80}, 16);
}

TEST(ConvUnit, FrozenInputsGetNoGradient) {
  Tensor x = random_leaf({1, 5, 5, 2}, 20), w = random_leaf({3, 3, 3, 2}, 21);
  const Tensor frozen_w = w.detach();
  sum(conv2d(x, frozen_w, Tensor(), {.padding = {1, 1}})).backward();
  EXPECT_TRUE(x.grad().defined());

  const Tensor frozen_x = x.detach();
  Tensor b = random_leaf({3}, 22);
  sum(conv2d(frozen_x, w, b)).backward();
  EXPECT_TRUE(w.grad().defined());
  EXPECT_ALL_CLOSE(b.grad(), full({3}, 9.0, {.dtype = DType::f64}), 0, 0);  // 3x3 outputs each
}

TEST(ConvUnit, EmptyBatch) {
  Tensor x = zeros({0, 5, 5, 3}, {.requires_grad = true});
  Tensor w = ones({4, 3, 3, 3}, {.requires_grad = true});
  const Tensor y = conv2d(x, w, Tensor(), {.padding = {1, 1}});
  EXPECT_EQ(y.shape(), (Shape{0, 5, 5, 4}));
  sum(y).backward();
  EXPECT_EQ(x.grad().shape(), (Shape{0, 5, 5, 3}));
  EXPECT_ALL_CLOSE(w.grad(), zeros({4, 3, 3, 3}), 0, 0);
  EXPECT_EQ(max_pool2d(zeros({0, 4, 4, 2}), {2, 2}).shape(), (Shape{0, 2, 2, 2}));
}

TEST(ConvUnit, AutocastComputesInLowerPrecision) {
  Tensor x = randn({2, 6, 6, 4}).requires_grad_(), w = randn({8, 3, 3, 4}).requires_grad_();
  const Tensor reference = conv2d(x, w, Tensor(), {.padding = {1, 1}});
  Tensor y;
  {
    AutocastGuard autocast(DType::bf16);
    y = conv2d(x, w, Tensor(), {.padding = {1, 1}});
  }
  EXPECT_EQ(y.dtype(), DType::bf16);
  EXPECT_ALL_CLOSE(y.to(DType::f32), reference, 5e-2, 2e-2);
  sum(y.to(DType::f32)).backward();
  EXPECT_EQ(x.grad().dtype(), DType::f32);
  EXPECT_EQ(w.grad().dtype(), DType::f32);
}

TEST(ConvUnit, ErrorsNameTheShapes) {
  const Tensor x = zeros({1, 6, 6, 5}), w = zeros({8, 3, 3, 4});
  expect_error([&] { conv2d(x, w); },
               "conv2d: input [1, 6, 6, 5] has 5 channels but weight [8, 3, 3, 4] expects 4 "
               "(groups 1)");
  expect_error([&] { conv2d(zeros({1, 4, 6, 6}), w); }, "the input looks NCHW");
  expect_error(
      [&] {
        conv2d(zeros({6, 6, 4}), w);
      },
      "conv2d: input must be a 4-D NHWC batch [N, H, W, C], got shape [6, 6, 4]");
  expect_error(
      [&] {
        conv2d(zeros({1, 6, 6, 4}), zeros({8, 3, 4}));
      },
      "weight must be 4-D [Cout, kh, kw, Cin/groups]");
  expect_error(
      [&] {
        conv2d(zeros({1, 6, 6, 8}), zeros({8, 3, 3, 3}), Tensor(), {.groups = 3});
      },
      "groups 3 must divide both the input's 8 channels");
  expect_error(
      [&] {
        conv2d(zeros({1, 2, 2, 4}), w);
      },
      "kernel 3x3 (dilation 1x1) does not fit the padded input 2x2");
  expect_error(
      [&] {
        conv2d(zeros({1, 6, 6, 4}), w, zeros({4}));
      },
      "bias must have shape [8] to match weight [8, 3, 3, 4], got [4]");
  expect_error(
      [&] {
        conv2d(zeros({1, 6, 6, 4}), zeros({8, 3, 3, 4}, {.dtype = DType::f64}));
      },
      "input, weight and bias must share one dtype, got f32, f64");
  expect_error(
      [&] {
        conv2d(zeros({1, 6, 6, 4}), w, Tensor(), {.stride = {0, 1}});
      },
      "stride and dilation must be >= 1");
}

TEST(PoolUnit, OutputSizesFollowPyTorch) {
  EXPECT_EQ(max_pool2d(zeros({1, 112, 112, 2}), {3, 3}, {2, 2}, {1, 1}).shape(),
            (Shape{1, 56, 56, 2}));
  // Ceil mode would add a window starting in the right padding; PyTorch drops it.
  EXPECT_EQ(max_pool2d(zeros({1, 5, 5, 1}), {2, 2}, {2, 2}, {1, 1}, true).shape(),
            (Shape{1, 3, 3, 1}));
  EXPECT_EQ(avg_pool2d(zeros({1, 7, 7, 1}), {2, 2}, {2, 2}, {0, 0}, true).shape(),
            (Shape{1, 4, 4, 1}));
  EXPECT_EQ(max_pool2d(zeros({1, 7, 7, 1}), {2, 2}).shape(),
            (Shape{1, 3, 3, 1}));  // stride = kernel
  EXPECT_EQ(adaptive_avg_pool2d(zeros({2, 10, 10, 3}), {7, 7}).shape(), (Shape{2, 7, 7, 3}));
}

TEST(PoolUnit, AvgPoolDivisors) {
  const Tensor x = ones({1, 4, 4, 1});
  // The corner window of a 3x3 pad-1 pool holds 4 real inputs out of 9.
  EXPECT_NEAR(avg_pool2d(x, {3, 3}, {2, 2}, {1, 1}, false, true).to_vector<float>()[0], 4.0 / 9.0,
              1e-7);
  EXPECT_NEAR(avg_pool2d(x, {3, 3}, {2, 2}, {1, 1}, false, false).to_vector<float>()[0], 1.0, 1e-7);
}

TEST(PoolUnit, MaxPoolPropagatesNaN) {
  std::vector<float> values = {1, 2, 3, 4};
  values[1] = std::numeric_limits<float>::quiet_NaN();
  const Tensor y = max_pool2d(from_vector(values, {1, 2, 2, 1}), {2, 2});
  EXPECT_TRUE(std::isnan(y.to_vector<float>()[0]));
}

TEST(PoolUnit, ErrorsNameTheShapes) {
  expect_error(
      [] {
        max_pool2d(zeros({4, 4, 3}), {2, 2});
      },
      "max_pool2d: input must be a 4-D NHWC batch [N, H, W, C], got shape [4, 4, 3]");
  expect_error(
      [] {
        max_pool2d(zeros({1, 4, 4, 3}), {3, 3}, {1, 1}, {2, 2});
      },
      "max_pool2d: padding [2, 2] must be at most half the kernel [3, 3]");
  expect_error(
      [] {
        avg_pool2d(zeros({1, 2, 2, 3}), {3, 3}, {1, 1});
      },
      "avg_pool2d: kernel [3, 3] does not fit the padded input 2x2 (input [1, 2, 2, 3]");
  expect_error([] { avg_pool2d(zeros({1, 4, 4, 3}), {0, 2}); }, "kernel and stride must be >= 1");
  expect_error(
      [] {
        adaptive_avg_pool2d(zeros({1, 4, 4, 3}), {0, 2});
      },
      "adaptive_avg_pool2d: output size [0, 2]");
  expect_error(
      [] {
        max_pool2d(zeros({1, 4, 4, 3}, {.dtype = DType::i64}), {2, 2});
      },
      "max_pool2d: input must be a floating tensor");
}

}  // namespace
}  // namespace fovea
