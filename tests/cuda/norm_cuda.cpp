// LayerNorm, BatchNorm (train and eval, running stats, fused activation) and GroupNorm on
// CUDA against the CPU reference, forward and every gradient, in f32, bf16 and f16.
#include <gtest/gtest.h>

#include "engine/ops/activation.h"
#include "engine/ops/factory.h"
#include "engine/ops/norm.h"
#include "tests/support/cuda_testing.h"

namespace fovea {
namespace {

using testing::cuda_matches_cpu;

const DType kDTypes[] = {DType::f32, DType::bf16, DType::f16};

Tensor input(const Shape& shape, uint64_t seed, double low = -2.0, double high = 2.0) {
  return testing::random_leaf(shape, seed, low, high).detach().to(DType::f32);
}

// Shapes cover odd widths (scalar path), multiples of 8 (16-byte path), a row longer than
// 1024 (block per row), batch 1 and enough rows for many column-sum chunks.
const Shape kLayerNormShapes[] = {{2, 3, 13},  {5, 97},     {4, 7, 96}, {3, 1536},
                                  {1, 1, 768}, {70, 40, 8}, {2, 1031}};

TEST(LayerNormCuda, MatchesCpuWithAffine) {
  FOVEA_REQUIRE_GPU();
  uint64_t seed = 1;
  for (const Shape& shape : kLayerNormShapes) {
    const int64_t c = shape.back();
    for (DType dtype : kDTypes) {
      const TensorList inputs = {input(shape, seed), input({c}, seed + 1), input({c}, seed + 2)};
      EXPECT_TRUE(cuda_matches_cpu(
          [c](const TensorList& in) { return layer_norm(in[0], {c}, in[1], in[2], 1e-5); }, inputs,
          dtype, "layer_norm " + shape_str(shape) + " " + dtype_name(dtype)));
      ++seed;
    }
  }
}

TEST(LayerNormCuda, MatchesCpuWithoutAffineAndOverTwoDims) {
  FOVEA_REQUIRE_GPU();
  for (DType dtype : kDTypes) {
    EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return layer_norm(in[0], {24}); },
                                 {input({9, 24}, 3)}, dtype,
                                 std::string("layer_norm no affine ") + dtype_name(dtype)));
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return layer_norm(in[0], {5, 6}, in[1], in[2]);
        },
        {input({3, 5, 6}, 4), input({5, 6}, 5), input({5, 6}, 6)}, dtype,
        std::string("layer_norm over [5, 6] ") + dtype_name(dtype)));
  }
}

TEST(LayerNormCuda, NonContiguousInput) {
  FOVEA_REQUIRE_GPU();
  for (DType dtype : kDTypes) {
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return layer_norm(in[0].transpose(0, 1), {16}, in[1], in[2], 1e-6);
        },
        {input({11, 3, 16}, 7), input({16}, 8), input({16}, 9)}, dtype,
        std::string("layer_norm transposed ") + dtype_name(dtype)));
  }
}

// Running stats are made inside f, on the input's device: they are buffers, not leaves.
Tensor batch_norm_on(const TensorList& in, bool training, int64_t channels) {
  const Device device = in[0].device();
  Tensor running_mean = input({channels}, 40, -0.5, 0.5).to(device);
  Tensor running_var = input({channels}, 41, 0.5, 2.0).to(device);
  return batch_norm(in[0], in[1], in[2], running_mean, running_var, training, 0.1, 1e-5);
}

const Shape kBatchNormShapes[] = {
    {2, 5, 7, 3}, {3, 4, 4, 13}, {1, 9, 11, 97}, {4, 17, 19, 16}, {5, 96}};

TEST(BatchNormCuda, TrainingMatchesCpu) {
  FOVEA_REQUIRE_GPU();
  uint64_t seed = 100;
  for (const Shape& shape : kBatchNormShapes) {
    const int64_t c = shape.back();
    for (DType dtype : kDTypes) {
      EXPECT_TRUE(
          cuda_matches_cpu([c](const TensorList& in) { return batch_norm_on(in, true, c); },
                           {input(shape, seed), input({c}, seed + 1), input({c}, seed + 2)}, dtype,
                           "batch_norm train " + shape_str(shape) + " " + dtype_name(dtype)));
      ++seed;
    }
  }
}

TEST(BatchNormCuda, EvalMatchesCpu) {
  FOVEA_REQUIRE_GPU();
  uint64_t seed = 200;
  for (const Shape& shape : kBatchNormShapes) {
    const int64_t c = shape.back();
    for (DType dtype : kDTypes) {
      EXPECT_TRUE(
          cuda_matches_cpu([c](const TensorList& in) { return batch_norm_on(in, false, c); },
                           {input(shape, seed), input({c}, seed + 1), input({c}, seed + 2)}, dtype,
                           "batch_norm eval " + shape_str(shape) + " " + dtype_name(dtype)));
      ++seed;
    }
  }
}

TEST(BatchNormCuda, WithoutAffineOrRunningStats) {
  FOVEA_REQUIRE_GPU();
  for (DType dtype : kDTypes) {
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return batch_norm(in[0], Tensor(), Tensor(), Tensor(), Tensor(), true);
        },
        {input({6, 5, 7}, 300)}, dtype, std::string("batch_norm plain ") + dtype_name(dtype)));
  }
}

TEST(BatchNormCuda, RunningStatsUpdateLikeCpu) {
  FOVEA_REQUIRE_GPU();
  const Shape shape{4, 9, 10, 13};
  const Tensor x = input(shape, 400);
  for (DType stats_dtype : {DType::f32, DType::bf16}) {
    Tensor cpu_mean = input({13}, 401).to(stats_dtype),
           cpu_var = input({13}, 402, 0.5, 2.0).to(stats_dtype);
    Tensor gpu_mean = cpu_mean.to(Device::cuda(0)), gpu_var = cpu_var.to(Device::cuda(0));
    batch_norm(x, Tensor(), Tensor(), cpu_mean, cpu_var, true, 0.3);
    batch_norm(x.to(Device::cuda(0)), Tensor(), Tensor(), gpu_mean, gpu_var, true, 0.3);
    const double tol = stats_dtype == DType::f32 ? 1e-5 : 1e-2;
    EXPECT_ALL_CLOSE(gpu_mean.cpu().to(DType::f32), cpu_mean.to(DType::f32), tol, tol);
    EXPECT_ALL_CLOSE(gpu_var.cpu().to(DType::f32), cpu_var.to(DType::f32), tol, tol);
  }
}

// batch_norm with a fused activation (timm's BatchNormAct2d): both devices apply it in the
// normalising pass and recompute the pre-activation in the backward (one node each; the
// CPU's fused op equals the composed ops, tests/engine/norm_unit.cpp). Training and eval,
// forward and the gradients of x, weight and bias.
TEST(BatchNormCuda, FusedActivationMatchesCpu) {
  FOVEA_REQUIRE_GPU();
  const int64_t c = 13;
  const Tensor rm = input({c}, 503, -0.5, 0.5), rv = input({c}, 504, 0.5, 2.0);
  using kernels::NormActivation;
  for (NormActivation act : {NormActivation::relu, NormActivation::silu}) {
    for (bool training : {true, false}) {
      // ReLU only in f32: in 16 bits a pre-activation near 0 can change sign against the
      // f32 reference, which moves that element's gradient by O(1); SiLU is smooth.
      for (DType dtype : kDTypes) {
        if (act == NormActivation::relu && dtype != DType::f32) continue;
        const auto f = [&](const TensorList& in) {
          // Fresh copies: training updates the running stats in place, once per device.
          return batch_norm(in[0], in[1], in[2], rm.to(in[0].device()).clone(),
                            rv.to(in[0].device()).clone(), training, 0.1, 1e-5, act);
        };
        EXPECT_TRUE(cuda_matches_cpu(
            f, {input({7, 5, c}, 500), input({c}, 501), input({c}, 502)}, dtype,
            std::string("batch_norm + ") + (act == NormActivation::relu ? "relu " : "silu ") +
                (training ? "train " : "eval ") + dtype_name(dtype)));
      }
    }
  }
}

TEST(GroupNormCuda, MatchesCpu) {
  FOVEA_REQUIRE_GPU();
  struct Case {
    Shape shape;
    int64_t groups;
  };
  const Case cases[] = {{{2, 5, 7, 12}, 3}, {{1, 9, 96}, 32}, {{3, 4, 4, 13}, 1}, {{2, 300, 8}, 8}};
  uint64_t seed = 600;
  for (const Case& k : cases) {
    const int64_t c = k.shape.back();
    for (DType dtype : kDTypes) {
      EXPECT_TRUE(cuda_matches_cpu(
          [&k](const TensorList& in) { return group_norm(in[0], k.groups, in[1], in[2]); },
          {input(k.shape, seed), input({c}, seed + 1), input({c}, seed + 2)}, dtype,
          "group_norm " + shape_str(k.shape) + " " + dtype_name(dtype)));
      ++seed;
    }
  }
}

}  // namespace
}  // namespace fovea
