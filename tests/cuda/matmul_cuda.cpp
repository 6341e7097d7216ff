// CUDA matmul, bmm and linear (cuBLASLt) against the CPU reference, forward and every
// gradient, in f32 (no TF32, so 1e-5 holds), bf16 and f16: every rank combination,
// broadcast batches, transposed / sliced / expanded operands, odd sizes, batch 1, and the
// fused bias+tanh-GELU epilogue launcher.
#include <gtest/gtest.h>

#include "engine/ops/activation.h"
#include "engine/ops/cuda/matmul.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/factory.h"
#include "engine/ops/matmul.h"
#include "tests/support/cuda_testing.h"

namespace fovea {
namespace {

using testing::cuda_matches_cpu;

constexpr DType kDtypes[] = {DType::f32, DType::bf16, DType::f16};

Tensor random(const Shape& shape) {
  return randn(shape, {.dtype = DType::f32});
}

Tensor matmul_of(const TensorList& in) {
  return matmul(in[0], in[1]);
}

TEST(MatmulCuda, EveryRankCombination) {
  FOVEA_REQUIRE_GPU();
  for (DType dtype : kDtypes) {
    EXPECT_TRUE(cuda_matches_cpu(matmul_of, {random({37}), random({37})}, dtype, "dot"));
    EXPECT_TRUE(cuda_matches_cpu(matmul_of, {random({13}), random({13, 7})}, dtype, "vec x mat"));
    EXPECT_TRUE(cuda_matches_cpu(matmul_of, {random({9, 13}), random({13})}, dtype, "mat x vec"));
    EXPECT_TRUE(cuda_matches_cpu(matmul_of, {random({97, 61}), random({61, 33})}, dtype, "mat"));
    EXPECT_TRUE(cuda_matches_cpu(matmul_of, {random({1, 3}), random({3, 1})}, dtype, "1x1"));
    EXPECT_TRUE(
        cuda_matches_cpu(matmul_of, {random({5}), random({3, 5, 4})}, dtype, "vec x batch"));
  }
}

TEST(MatmulCuda, BroadcastBatches) {
  FOVEA_REQUIRE_GPU();
  for (DType dtype : kDtypes) {
    EXPECT_TRUE(cuda_matches_cpu(matmul_of, {random({2, 1, 7, 13}), random({3, 13, 5})}, dtype,
                                 "both broadcast"));
    EXPECT_TRUE(cuda_matches_cpu(matmul_of, {random({4, 3, 11, 13}), random({13, 17})}, dtype,
                                 "shared weight (folded)"));
    EXPECT_TRUE(cuda_matches_cpu(matmul_of, {random({11, 13}), random({2, 2, 13, 6})}, dtype,
                                 "shared left operand"));
    EXPECT_TRUE(
        cuda_matches_cpu(matmul_of, {random({3, 5, 7}), random({1, 7, 5})}, dtype, "size-1 batch"));
  }
}

TEST(MatmulCuda, StridedOperands) {
  FOVEA_REQUIRE_GPU();
  for (DType dtype : kDtypes) {
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) { return matmul(in[0].transpose(0, 1), in[1].transpose(-1, -2)); },
        {random({21, 9}), random({2, 5, 21})}, dtype, "column-major operands"));
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) { return matmul(in[0].slice(1, 1, 17, 2), in[1]); },
        {random({9, 17}), random({8, 5})}, dtype, "stepped slice"));
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return matmul(in[0].expand({2, 3, 4}), in[1].permute({1, 2, 0}));
        },
        {random({3, 4}), random({3, 2, 4})}, dtype, "expanded and permuted"));
    // An operand starting at an odd element offset (cuBLASLt must not assume alignment).
    EXPECT_TRUE(
        cuda_matches_cpu([](const TensorList& in) { return matmul(in[0].slice(1, 1, 10), in[1]); },
                         {random({6, 10}), random({9, 7})}, dtype, "offset view"));
  }
}

TEST(MatmulCuda, Bmm) {
  FOVEA_REQUIRE_GPU();
  for (DType dtype : kDtypes) {
    EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return bmm(in[0], in[1]); },
                                 {random({7, 49, 32}), random({7, 32, 49})}, dtype,
                                 "window-attention-like bmm"));
    EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return bmm(in[0], in[1]); },
                                 {random({1, 3, 5}), random({1, 5, 2})}, dtype, "batch 1"));
  }
}

TEST(MatmulCuda, Linear) {
  FOVEA_REQUIRE_GPU();
  auto with_bias = [](const TensorList& in) { return linear(in[0], in[1], in[2]); };
  auto without_bias = [](const TensorList& in) { return linear(in[0], in[1]); };
  for (DType dtype : kDtypes) {
    EXPECT_TRUE(cuda_matches_cpu(with_bias, {random({2, 7, 97}), random({33, 97}), random({33})},
                                 dtype, "linear with bias"));
    EXPECT_TRUE(cuda_matches_cpu(with_bias, {random({1, 3}), random({1, 3}), random({1})}, dtype,
                                 "linear 1x1"));
    EXPECT_TRUE(cuda_matches_cpu(without_bias, {random({129, 64}), random({100, 64})}, dtype,
                                 "linear without bias"));
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) { return linear(in[0].transpose(0, 1), in[1], in[2]); },
        {random({13, 5}), random({6, 5}), random({6})}, dtype, "linear, transposed input"));
  }
}

// The fused epilogue launcher (not used by layers: its GELU is the tanh form) against
// the CPU's linear then gelu(approximate="tanh").
TEST(MatmulCuda, LinearBiasGeluTanhEpilogue) {
  FOVEA_REQUIRE_GPU();
  for (DType dtype : kDtypes) {
    for (const Shape& dims : {Shape{1, 1, 1}, Shape{37, 61, 29}, Shape{256, 192, 768}}) {
      const int64_t rows = dims[0], in = dims[1], out = dims[2];
      // Inputs rounded to `dtype` once, so both sides see the same operands.
      const Tensor x = random({rows, in}).to(dtype).to(DType::f32);
      const Tensor w = (random({out, in}) * 0.1).to(dtype).to(DType::f32);
      const Tensor b = random({out}).to(dtype).to(DType::f32);
      const Tensor expected = gelu(linear(x, w, b), "tanh");
      const Tensor actual = cuda::linear_bias_gelu_tanh(x.to(dtype).to(Device::cuda(0)),
                                                        w.to(dtype).to(Device::cuda(0)),
                                                        b.to(dtype).to(Device::cuda(0)))
                                .cpu()
                                .to(DType::f32);
      const auto tolerance = testing::cuda_tolerance(dtype);
      EXPECT_TRUE(testing::all_close(actual, expected, tolerance.atol, tolerance.rtol))
          << "rows " << rows << " in " << in << " out " << out << " " << dtype_name(dtype);
    }
  }
}

}  // namespace
}  // namespace fovea
