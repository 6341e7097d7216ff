// CUDA elementwise kernels against the CPU reference: binary ops with broadcasting and
// strided operands, every unary op and activation with its backward, compare and where,
// in f32, bf16 and f16, at awkward sizes.
#include <gtest/gtest.h>

#include <string>

#include "tests/cuda/inputs.h"
#include "tests/support/cuda_testing.h"

namespace fovea {
namespace {

using testing::cuda_matches_cpu;
using testing::kCudaDtypes;
using testing::uniform_input;

std::string label(const std::string& what, DType dtype) {
  return what + " (" + dtype_name(dtype) + ")";
}

struct BinaryCase {
  const char* name;
  Tensor (*op)(const Tensor&, const Tensor&);
};

const BinaryCase kBinaryOps[] = {{"add", add}, {"sub", sub},         {"mul", mul},
                                 {"div", div}, {"maximum", maximum}, {"minimum", minimum}};

TEST(CudaElementwise, BinarySameShapeContiguous) {
  FOVEA_REQUIRE_GPU();
  // 3 x 13 x 97 = 3783 elements: several packs per thread plus a scalar tail; and one
  // above a full grid wave.
  for (const Shape& shape : {Shape{3, 13, 97}, Shape{1, 7}, Shape{64, 97, 131}}) {
    const Tensor a = uniform_input(shape, 1), b = uniform_input(shape, 2, 0.5, 2.0);
    for (DType dtype : kCudaDtypes) {
      for (const BinaryCase& c : kBinaryOps) {
        EXPECT_TRUE(cuda_matches_cpu([&](const TensorList& in) { return c.op(in[0], in[1]); },
                                     {a, b}, dtype, label(c.name, dtype)));
      }
    }
  }
}

TEST(CudaElementwise, BinaryBroadcastAndSumToBackward) {
  FOVEA_REQUIRE_GPU();
  // The per-channel vector over NHWC, a column against a row, and a scalar; backward
  // reduces the broadcast dims with sum_to.
  const Tensor x = uniform_input({2, 5, 7, 13}, 3);
  const Tensor channel = uniform_input({13}, 4, 0.5, 2.0);
  const Tensor column = uniform_input({5, 1, 1}, 5, 0.5, 2.0);
  const Tensor scalar = uniform_input({}, 6, 0.5, 2.0);
  for (DType dtype : kCudaDtypes) {
    for (const BinaryCase& c : kBinaryOps) {
      for (const Tensor& other : {channel, column, scalar}) {
        EXPECT_TRUE(cuda_matches_cpu([&](const TensorList& in) { return c.op(in[0], in[1]); },
                                     {x, other}, dtype, label(c.name, dtype)));
        EXPECT_TRUE(cuda_matches_cpu([&](const TensorList& in) { return c.op(in[1], in[0]); },
                                     {x, other}, dtype, label(c.name, dtype)));
      }
    }
  }
}

TEST(CudaElementwise, BinaryStridedOperands) {
  FOVEA_REQUIRE_GPU();
  const Tensor a = uniform_input({13, 97}, 7), b = uniform_input({97, 13}, 8, 0.5, 2.0);
  const Tensor v = uniform_input({3 * 97 + 1}, 9);
  for (DType dtype : kCudaDtypes) {
    EXPECT_TRUE(
        cuda_matches_cpu([](const TensorList& in) { return mul(in[0], in[1].transpose(0, 1)); },
                         {a, b}, dtype, label("mul of a transpose", dtype)));
    EXPECT_TRUE(
        cuda_matches_cpu([](const TensorList& in) { return add(in[0].slice(1, 0, 97, 2), 1.5); },
                         {a}, dtype, label("add to a stepped slice", dtype)));
    // Offset by one element: contiguous but not 16-byte aligned, so the scalar path runs.
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return sub(in[0].narrow(0, 1, 3 * 97), in[0].narrow(0, 0, 3 * 97));
        },
        {v}, dtype, label("sub of misaligned views", dtype)));
  }
}

TEST(CudaElementwise, PowWithTensorExponent) {
  FOVEA_REQUIRE_GPU();
  const Tensor base = uniform_input({13, 97}, 10, 0.5, 2.0);
  const Tensor exponent = uniform_input({97}, 11, -1.5, 1.5);
  for (DType dtype : kCudaDtypes) {
    EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return pow(in[0], in[1]); },
                                 {base, exponent}, dtype, label("pow", dtype)));
  }
}

struct UnaryCase {
  const char* name;
  testing::TestFunction f;
  double low, high;
};

std::vector<UnaryCase> unary_cases() {
  return {
      {"neg", [](const TensorList& in) { return neg(in[0]); }, -2, 2},
      {"exp", [](const TensorList& in) { return exp(in[0]); }, -2, 2},
      {"log", [](const TensorList& in) { return log(in[0]); }, 0.1, 3},
      {"sqrt", [](const TensorList& in) { return sqrt(in[0]); }, 0.1, 3},
      {"rsqrt", [](const TensorList& in) { return rsqrt(in[0]); }, 0.1, 3},
      {"abs", [](const TensorList& in) { return abs(in[0]); }, -2, 2},
      {"sign", [](const TensorList& in) { return sign(in[0]); }, -2, 2},
      {"reciprocal", [](const TensorList& in) { return reciprocal(in[0]); }, 0.2, 3},
      {"relu", [](const TensorList& in) { return relu(in[0]); }, -2, 2},
      {"relu6", [](const TensorList& in) { return relu6(in[0]); }, -2, 8},
      {"gelu", [](const TensorList& in) { return gelu(in[0]); }, -4, 4},
      {"gelu_tanh", [](const TensorList& in) { return gelu(in[0], "tanh"); }, -4, 4},
      {"silu", [](const TensorList& in) { return silu(in[0]); }, -6, 6},
      {"sigmoid", [](const TensorList& in) { return sigmoid(in[0]); }, -6, 6},
      {"tanh", [](const TensorList& in) { return tanh(in[0]); }, -3, 3},
      {"hardswish", [](const TensorList& in) { return hardswish(in[0]); }, -5, 5},
      {"hardsigmoid", [](const TensorList& in) { return hardsigmoid(in[0]); }, -5, 5},
      {"softplus", [](const TensorList& in) { return softplus(in[0], 2.0, 3.0); }, -3, 3},
      {"clamp", [](const TensorList& in) { return clamp(in[0], -0.5, 0.75); }, -2, 2},
      {"clamp_min", [](const TensorList& in) { return clamp(in[0], 0.1, std::nullopt); }, -2, 2},
      {"pow_scalar", [](const TensorList& in) { return pow(in[0], 2.5); }, 0.1, 2},
      {"square", [](const TensorList& in) { return square(in[0]); }, -2, 2},
  };
}

TEST(CudaElementwise, UnaryAndActivationsForwardBackward) {
  FOVEA_REQUIRE_GPU();
  uint64_t seed = 20;
  for (const UnaryCase& c : unary_cases()) {
    for (const Shape& shape : {Shape{3, 13, 97}, Shape{5}}) {
      const Tensor x = uniform_input(shape, seed++, c.low, c.high);
      for (DType dtype : kCudaDtypes) {
        EXPECT_TRUE(cuda_matches_cpu(c.f, {x}, dtype, label(c.name, dtype)));
        // A strided (transposed) input takes the strided kernels.
        if (shape.size() == 3) {
          EXPECT_TRUE(
              cuda_matches_cpu([&](const TensorList& in) { return c.f({in[0].transpose(0, 2)}); },
                               {x}, dtype, label(std::string(c.name) + " of a transpose", dtype)));
        }
      }
    }
  }
}

TEST(CudaElementwise, CompareAndWhere) {
  FOVEA_REQUIRE_GPU();
  const Tensor a = uniform_input({7, 13, 3}, 40), b = uniform_input({13, 1}, 41);
  for (DType dtype : kCudaDtypes) {
    EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return gt(in[0], in[1]); }, {a, b},
                                 dtype, label("gt", dtype)));
    EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return le(in[0], 0.25); }, {a}, dtype,
                                 label("le scalar", dtype)));
    EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return eq(in[0], in[0]); }, {a}, dtype,
                                 label("eq", dtype)));
    EXPECT_TRUE(
        cuda_matches_cpu([](const TensorList& in) { return where(gt(in[0], in[1]), in[0], in[1]); },
                         {a, b}, dtype, label("where", dtype)));
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) { return where(lt(in[1], 0.0), in[0].transpose(0, 1), 0.0); },
        {a, b.expand({13, 7}).contiguous()}, dtype, label("where strided", dtype)));
    // Integer and bool arithmetic on the device: logical_and multiplies i32 tensors.
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return where(logical_and(gt(in[0], 0.0), logical_not(gt(in[1], 0.5))), in[0], 1.0);
        },
        {a, b}, dtype, label("logical ops", dtype)));
  }
}

TEST(CudaElementwise, InPlaceOpsOnDevice) {
  FOVEA_REQUIRE_GPU();
  const Tensor a = uniform_input({13, 97}, 50), b = uniform_input({97}, 51);
  Tensor expected = a.clone();
  Tensor actual = a.to(Device::cuda(0));
  {
    NoGradGuard no_grad;
    add_(expected, b);
    mul_(expected, 0.5);
    add_(actual, b.to(Device::cuda(0)));
    mul_(actual, 0.5);
  }
  EXPECT_ALL_CLOSE(actual.to(Device::cpu()), expected, 1e-6, 1e-6);
}

}  // namespace
}  // namespace fovea
