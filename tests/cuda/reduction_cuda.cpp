// CUDA reductions against the CPU: sum, mean, var over one or several dims with keepdim,
// max/argmax with NaN and ties, integer sums, and the shapes that split the reduced dim
// across blocks (a full-tensor sum, a bias gradient over N*H*W rows).
#include <gtest/gtest.h>

#include <limits>

#include "tests/cuda/inputs.h"
#include "tests/support/cuda_testing.h"

namespace fovea {
namespace {

using testing::cuda_matches_cpu;
using testing::kCudaDtypes;
using testing::uniform_input;

const Device kGpu = Device::cuda(0);

TEST(CudaReduction, SumMeanVarOverDims) {
  FOVEA_REQUIRE_GPU();
  const Tensor x = uniform_input({3, 13, 97}, 1);
  const std::vector<Dims> dim_sets = {{}, {0}, {1}, {2}, {0, 2}, {1, 2}, {-1}};
  for (DType dtype : kCudaDtypes) {
    for (const Dims& dims : dim_sets) {
      for (bool keepdim : {false, true}) {
        EXPECT_TRUE(cuda_matches_cpu(
            [&](const TensorList& in) { return sum(in[0], dims, keepdim); }, {x}, dtype, "sum"));
        EXPECT_TRUE(cuda_matches_cpu(
            [&](const TensorList& in) { return mean(in[0], dims, keepdim); }, {x}, dtype, "mean"));
        EXPECT_TRUE(cuda_matches_cpu(
            [&](const TensorList& in) { return var(in[0], dims, 1, keepdim); }, {x}, dtype, "var"));
      }
    }
    EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return var(in[0], {0}, 0, false); },
                                 {x}, dtype, "var, correction 0"));
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) { return sum(in[0].transpose(0, 2), {1}, false); }, {x}, dtype,
        "sum of a transpose"));
  }
}

TEST(CudaReduction, SplitAcrossBlocks) {
  FOVEA_REQUIRE_GPU();
  // A bias gradient: 3 x 56 x 56 rows of 96 channels reduced to 96; a full sum of 1.2M
  // elements; a few long rows.
  const Tensor activations = uniform_input({3 * 56 * 56, 96}, 2);
  const Tensor rows = uniform_input({3, 400001}, 3);
  for (DType dtype : kCudaDtypes) {
    EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return sum(in[0], {0}, false); },
                                 {activations}, dtype, "column sum"));
    EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return sum(in[0]); }, {activations},
                                 dtype, "full sum"));
    EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return mean(in[0], {1}, true); },
                                 {rows}, dtype, "long-row mean"));
    EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return var(in[0], {0}, 1, false); },
                                 {activations}, dtype, "column var"));
  }
}

TEST(CudaReduction, BroadcastBackwardThroughSumTo) {
  FOVEA_REQUIRE_GPU();
  const Tensor x = uniform_input({4, 7, 7, 97}, 4), bias = uniform_input({97}, 5);
  const Tensor scale = uniform_input({4, 1, 1, 97}, 6);
  for (DType dtype : kCudaDtypes) {
    EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return mul(add(in[0], in[1]), in[2]); },
                                 {x, bias, scale}, dtype, "sum_to of bias and scale gradients"));
  }
}

TEST(CudaReduction, MaxAndArgmax) {
  FOVEA_REQUIRE_GPU();
  const Tensor x = uniform_input({5, 13, 97}, 7);
  for (DType dtype : kCudaDtypes) {
    for (int64_t dim : {0, 1, 2}) {
      for (bool keepdim : {false, true}) {
        EXPECT_TRUE(
            cuda_matches_cpu([&](const TensorList& in) { return max(in[0], dim, keepdim).values; },
                             {x}, dtype, "max values"));
        EXPECT_TRUE(cuda_matches_cpu(
            [&](const TensorList& in) { return argmax(in[0], dim, keepdim).to(DType::f32); }, {x},
            dtype, "argmax"));
      }
    }
    EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return max(in[0]); }, {x}, dtype,
                                 "max of everything"));
  }
}

TEST(CudaReduction, MaxTiesNaNAndIntegers) {
  FOVEA_REQUIRE_GPU();
  NoGradGuard no_grad;
  // Ties (the first index wins), a NaN (wins over everything, the first NaN first), rows
  // longer than a warp, and an integer tensor.
  Tensor x = mul(uniform_input({6, 77}, 8, 0.0, 4.0), 1.0).to(DType::i64).to(DType::f32);
  x.narrow(0, 2, 1).narrow(1, 40, 1).fill_(std::numeric_limits<double>::quiet_NaN());
  x.narrow(0, 2, 1).narrow(1, 60, 1).fill_(std::numeric_limits<double>::quiet_NaN());
  for (int64_t dim : {0, 1}) {
    const ValuesIndices cpu = max(x, dim, false);
    const ValuesIndices gpu = max(x.to(kGpu), dim, false);
    EXPECT_EQ(gpu.indices.to(Device::cpu()).to_vector<int64_t>(), cpu.indices.to_vector<int64_t>());
    const Tensor xi = x.narrow(0, 3, 3).to(DType::i64);
    EXPECT_EQ(max(xi.to(kGpu), dim, true).indices.to(Device::cpu()).to_vector<int64_t>(),
              max(xi, dim, true).indices.to_vector<int64_t>());
    EXPECT_EQ(sum(xi.to(kGpu), {dim}, false).to(Device::cpu()).to_vector<int64_t>(),
              sum(xi, {dim}, false).to_vector<int64_t>());
  }
}

}  // namespace
}  // namespace fovea
