// CUDA conv2d against the CPU reference, forward and the gradients of input, weight and
// bias, in f32 (FMA math, no TF32, so 1e-5 holds), bf16 and f16. Dense convolutions run
// through cuDNN (strides, padding, dilation, groups); depthwise ones through fovea's
// kernels in kernels/cuda/depthwise_conv.cu (3/5/7, stride 1/2, odd and vectorisable
// channel counts, tiles cut by the image edge, several tiles and channel blocks, batch 1,
// non-contiguous input) or, for the shapes those kernels do not take, cuDNN's grouped
// convolution.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "engine/determinism.h"
#include "engine/ops/conv.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/factory.h"
#include "engine/ops/reduction.h"
#include "tests/support/cuda_testing.h"

namespace fovea {
namespace {

using testing::cuda_matches_cpu;

constexpr DType kDtypes[] = {DType::f32, DType::bf16, DType::f16};

Tensor random(const Shape& shape) {
  return randn(shape, {.dtype = DType::f32});
}

std::string describe(const Shape& x, const Shape& w, const Conv2dOptions& o) {
  return "conv2d x " + shape_str(x) + " w " + shape_str(w) + " stride " +
         std::to_string(o.stride[0]) + " pad " + std::to_string(o.padding[0]) + "x" +
         std::to_string(o.padding[1]) + " dilation " + std::to_string(o.dilation[0]) + " groups " +
         std::to_string(o.groups);
}

// conv2d(x, w, bias) on CUDA in every dtype against the CPU.
void expect_conv_matches(const Shape& x, const Shape& w, const Conv2dOptions& options,
                         bool with_bias = true) {
  const auto f = [options, with_bias](const TensorList& in) {
    return conv2d(in[0], in[1], with_bias ? in[2] : Tensor(), options);
  };
  for (DType dtype : kDtypes) {
    EXPECT_TRUE(cuda_matches_cpu(f, {random(x), random(w), random({w[0]})}, dtype,
                                 describe(x, w, options) + " " + dtype_name(dtype)));
  }
}

TEST(ConvCuda, DenseThroughCudnn) {
  FOVEA_REQUIRE_GPU();
  expect_conv_matches({2, 9, 11, 13}, {7, 3, 3, 13}, {.padding = {1, 1}});
  expect_conv_matches({1, 10, 9, 5}, {6, 3, 3, 5}, {.stride = {2, 2}, .dilation = {2, 2}});
  expect_conv_matches({2, 15, 15, 3}, {8, 7, 7, 3}, {.stride = {2, 2}, .padding = {3, 3}});
  expect_conv_matches({2, 6, 7, 16}, {32, 1, 1, 16}, {}, /*with_bias=*/false);
  expect_conv_matches({1, 8, 8, 4}, {3, 2, 3, 4}, {.stride = {1, 2}, .padding = {0, 1}});
}

TEST(ConvCuda, GroupedThroughCudnn) {
  FOVEA_REQUIRE_GPU();
  expect_conv_matches({2, 7, 9, 12}, {6, 3, 3, 4}, {.padding = {1, 1}, .groups = 3});
  expect_conv_matches({1, 8, 8, 32}, {32, 3, 3, 4},
                      {.stride = {2, 2}, .padding = {1, 1}, .groups = 8});
}

TEST(ConvCuda, DepthwiseKernels) {
  FOVEA_REQUIRE_GPU();
  // Odd channel counts take the scalar path; 96 and 64 the 16-byte vectors; 36 is a
  // multiple of 4 but not of 8 (vectors in f32 only); 97 spans four channel blocks.
  for (int64_t k : {3, 5, 7}) {
    for (int64_t stride : {1, 2}) {
      const Conv2dOptions same{.stride = {stride, stride}, .padding = {k / 2, k / 2}, .groups = 0};
      for (int64_t c : {3, 13, 36, 64, 97}) {
        Conv2dOptions o = same;
        o.groups = c;
        expect_conv_matches({2, 9, 11, c}, {c, k, k, 1}, o);
      }
      // Several tiles in both directions, batch 1, and no padding.
      Conv2dOptions o{.stride = {stride, stride}, .padding = {0, 0}, .groups = 96};
      expect_conv_matches({1, 20, 19, 96}, {96, k, k, 1}, o);
    }
  }
}

TEST(ConvCuda, DepthwiseSeedShapes) {
  FOVEA_REQUIRE_GPU();
  // ConvNeXt's 7x7 (small spatial size) and EfficientNet's 3x3/5x5 stride-2 blocks.
  expect_conv_matches({2, 14, 14, 96}, {96, 7, 7, 1}, {.padding = {3, 3}, .groups = 96});
  expect_conv_matches({1, 7, 7, 768}, {768, 7, 7, 1}, {.padding = {3, 3}, .groups = 768});
  expect_conv_matches({2, 16, 16, 144}, {144, 3, 3, 1},
                      {.stride = {2, 2}, .padding = {1, 1}, .groups = 144});
  expect_conv_matches({2, 15, 15, 240}, {240, 5, 5, 1},
                      {.stride = {2, 2}, .padding = {2, 2}, .groups = 240}, false);
}

TEST(ConvCuda, DepthwiseNonContiguousInput) {
  FOVEA_REQUIRE_GPU();
  const Conv2dOptions o{.padding = {3, 3}, .groups = 24};
  for (DType dtype : kDtypes) {
    EXPECT_TRUE(cuda_matches_cpu(
        [o](const TensorList& in) { return conv2d(in[0].slice(3, 4, 28), in[1], in[2], o); },
        {random({2, 10, 9, 32}), random({24, 7, 7, 1}), random({24})}, dtype,
        "depthwise on a channel slice"));
  }
}

TEST(ConvCuda, DepthwiseShapesLeftToCudnn) {
  FOVEA_REQUIRE_GPU();
  // Channel multiplier 2, dilation, a non-square kernel, stride 3.
  expect_conv_matches({2, 9, 9, 8}, {16, 3, 3, 1}, {.padding = {1, 1}, .groups = 8});
  expect_conv_matches({1, 11, 11, 12}, {12, 3, 3, 1},
                      {.padding = {2, 2}, .dilation = {2, 2}, .groups = 12});
  expect_conv_matches({2, 8, 10, 6}, {6, 3, 5, 1}, {.padding = {1, 2}, .groups = 6});
  expect_conv_matches({1, 12, 12, 5}, {5, 3, 3, 1}, {.stride = {3, 3}, .groups = 5});
}

// With deterministic_algorithms() (the default) cuDNN may only pick algorithms it reports
// as deterministic: two identical backward passes give bit-identical weight gradients,
// for the shapes whose fastest backward-filter algorithms include atomics-based ones
// (large batch, many channels) in every dtype.
TEST(ConvCuda, DeterministicBackwardGivesIdenticalWeightGradients) {
  FOVEA_REQUIRE_GPU();
  ASSERT_TRUE(deterministic_algorithms());
  const Device gpu = Device::cuda(0);
  const std::vector<std::pair<Shape, Shape>> cases = {{{32, 28, 28, 64}, {64, 3, 3, 64}},
                                                      {{16, 14, 14, 128}, {256, 1, 1, 128}},
                                                      {{8, 56, 56, 32}, {32, 3, 3, 32}}};
  for (const auto& [x_shape, w_shape] : cases) {
    for (DType dtype : kDtypes) {
      const Tensor x = random(x_shape).to(dtype).to(gpu);
      const Tensor w0 = (random(w_shape) * 0.1).to(dtype).to(gpu);
      const Conv2dOptions options{.padding = {w_shape[1] / 2, w_shape[2] / 2}};
      auto weight_grad = [&] {
        Tensor w = w0.clone().requires_grad_();
        const Tensor y = conv2d(x, w, Tensor(), options);
        sum(mul(y, y)).backward();
        return w.grad().to(DType::f32).cpu();
      };
      const Tensor first = weight_grad(), second = weight_grad();
      EXPECT_EQ(first.to_vector<float>(), second.to_vector<float>())
          << "x " << shape_str(x_shape) << " w " << shape_str(w_shape) << " " << dtype_name(dtype);
    }
  }
}

}  // namespace
}  // namespace fovea
