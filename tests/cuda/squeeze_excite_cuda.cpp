// channel_mean and channel_scale (squeeze-and-excitation) on CUDA against the CPU
// reference, forward and gradients, in f32, bf16 and f16.
#include <gtest/gtest.h>

#include "engine/ops/elementwise.h"
#include "engine/ops/squeeze_excite.h"
#include "tests/support/cuda_testing.h"

namespace fovea {
namespace {

using testing::cuda_matches_cpu;

const DType kDTypes[] = {DType::f32, DType::bf16, DType::f16};

Tensor input(const Shape& shape, uint64_t seed) {
  return testing::random_leaf(shape, seed, -2.0, 2.0).detach().to(DType::f32);
}

// Odd channel counts (scalar path), multiples of 8 (16-byte path), a channel count wider
// than one 32-pack tile, batch 1, and a map large enough for several spatial chunks.
const Shape kShapes[] = {{2, 5, 7, 3},   {1, 9, 11, 13},  {3, 4, 4, 96},
                         {2, 7, 7, 520}, {2, 56, 56, 16}, {1, 1, 1, 8}};

TEST(SqueezeExciteCuda, ChannelMeanMatchesCpu) {
  FOVEA_REQUIRE_GPU();
  uint64_t seed = 1;
  for (const Shape& shape : kShapes) {
    for (DType dtype : kDTypes) {
      EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return channel_mean(in[0]); },
                                   {input(shape, seed++)}, dtype,
                                   "channel_mean " + shape_str(shape) + " " + dtype_name(dtype)));
    }
  }
}

TEST(SqueezeExciteCuda, ChannelScaleMatchesCpu) {
  FOVEA_REQUIRE_GPU();
  uint64_t seed = 100;
  for (const Shape& shape : kShapes) {
    const Shape scale_shape{shape.front(), 1, 1, shape.back()};
    for (DType dtype : kDTypes) {
      // Gradient of the scale sums up to H * W products: bf16 rounding of the inputs is
      // already in the reference, so the default tolerance holds.
      EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return channel_scale(in[0], in[1]); },
                                   {input(shape, seed), input(scale_shape, seed + 1)}, dtype,
                                   "channel_scale " + shape_str(shape) + " " + dtype_name(dtype)));
      seed += 2;
    }
  }
}

TEST(SqueezeExciteCuda, NonContiguousInputAndFlatScale) {
  FOVEA_REQUIRE_GPU();
  for (DType dtype : kDTypes) {
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          const Tensor x = in[0].transpose(1, 2);  // [2, 6, 5, 24], not contiguous
          return channel_scale(x, in[1]) + channel_mean(x);
        },
        {input({2, 5, 6, 24}, 300), input({2, 24}, 301)}, dtype,
        std::string("squeeze-excite transposed ") + dtype_name(dtype)));
  }
}

}  // namespace
}  // namespace fovea
