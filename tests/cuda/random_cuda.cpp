// Factories and random ops built on the device against the CPU: zeros/ones/full/arange,
// rand (bit-identical for the same seed), randn (identical up to the last f32 rounding of
// the device's libm), dropout and drop_path (the same Philox mask as the CPU, forward and
// backward).
#include <gtest/gtest.h>

#include <cmath>

#include "tests/cuda/inputs.h"
#include "tests/support/cuda_testing.h"

namespace fovea {
namespace {

using testing::all_close;
using testing::kCudaDtypes;
using testing::uniform_input;

const Device kGpu = Device::cuda(0);

std::vector<float> on_host(const Tensor& t) {
  return t.to(Device::cpu()).to_vector<float>();
}

TEST(CudaFactory, ConstantsAndArange) {
  FOVEA_REQUIRE_GPU();
  for (DType dtype : {DType::f32, DType::bf16, DType::f16, DType::i64, DType::i32}) {
    const TensorOptions gpu{.dtype = dtype, .device = kGpu};
    const TensorOptions cpu{.dtype = dtype};
    EXPECT_EQ(on_host(zeros({3, 97}, gpu)), zeros({3, 97}, cpu).to_vector<float>());
    EXPECT_EQ(on_host(ones({13}, gpu)), ones({13}, cpu).to_vector<float>());
    EXPECT_EQ(on_host(full({5, 7}, -2.75, gpu)), full({5, 7}, -2.75, cpu).to_vector<float>());
    EXPECT_EQ(on_host(arange(-3.0, 97.0, 0.7, gpu)),
              arange(-3.0, 97.0, 0.7, cpu).to_vector<float>());
  }
  EXPECT_EQ(
      arange(1000, {.dtype = DType::i64, .device = kGpu}).to(Device::cpu()).to_vector<int64_t>(),
      arange(1000).to_vector<int64_t>());
}

TEST(CudaFactory, RandMatchesTheCpuBitForBit) {
  FOVEA_REQUIRE_GPU();
  for (const Shape& shape : {Shape{1}, Shape{7}, Shape{3, 13, 97}, Shape{1001, 1003}}) {
    Generator cpu_gen(1234), gpu_gen(1234);
    const Tensor cpu = rand(shape, {}, &cpu_gen);
    const Tensor gpu = rand(shape, {.device = kGpu}, &gpu_gen);
    EXPECT_EQ(on_host(gpu), cpu.to_vector<float>()) << shape_str(shape);
    EXPECT_EQ(gpu_gen.state(), cpu_gen.state());
  }
  Generator cpu_gen(5), gpu_gen(5);
  EXPECT_EQ(on_host(rand({33}, {.dtype = DType::bf16, .device = kGpu}, &gpu_gen)),
            rand({33}, {.dtype = DType::bf16}, &cpu_gen).to_vector<float>());
}

TEST(CudaFactory, RandnMatchesTheCpu) {
  FOVEA_REQUIRE_GPU();
  for (const Shape& shape : {Shape{1}, Shape{7}, Shape{3, 13, 97}, Shape{1001, 1003}}) {
    Generator cpu_gen(99), gpu_gen(99);
    const Tensor cpu = randn(shape, {}, &cpu_gen);
    const Tensor gpu = randn(shape, {.device = kGpu}, &gpu_gen);
    // Box-Muller in double on both sides: the values agree to the last f32 bit except
    // where the device's double log/sin/cos lands across an f32 rounding boundary.
    const std::vector<float> a = on_host(gpu), e = cpu.to_vector<float>();
    ASSERT_EQ(a.size(), e.size());
    int64_t differing = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_LE(std::fabs(a[i] - e[i]), 1e-6f * (1.0f + std::fabs(e[i]))) << "element " << i;
      differing += a[i] != e[i];
    }
    EXPECT_LE(differing, 2) << shape_str(shape);
    EXPECT_EQ(gpu_gen.state(), cpu_gen.state());
  }
}

TEST(CudaRandom, DropoutAndDropPathUseTheCpuMask) {
  FOVEA_REQUIRE_GPU();
  const Tensor x = uniform_input({4, 13, 97}, 1);
  const Tensor upstream = uniform_input({4, 13, 97}, 2);
  for (DType dtype : kCudaDtypes) {
    for (double p : {0.1, 0.5, 1.0}) {
      for (bool path : {false, true}) {
        Generator cpu_gen(77), gpu_gen(77);
        Tensor cpu_x = x.detach().to(dtype).clone().requires_grad_(true);
        Tensor gpu_x = x.detach().to(dtype).to(kGpu).requires_grad_(true);
        Tensor cpu_y =
            path ? drop_path(cpu_x, p, true, true, &cpu_gen) : dropout(cpu_x, p, true, &cpu_gen);
        Tensor gpu_y =
            path ? drop_path(gpu_x, p, true, true, &gpu_gen) : dropout(gpu_x, p, true, &gpu_gen);
        // The CPU widens 16-bit floats to f32 and rounds once, like the device: exact.
        EXPECT_TRUE(
            all_close(gpu_y.to(Device::cpu()).to(DType::f32), cpu_y.to(DType::f32), 0.0, 0.0))
            << (path ? "drop_path" : "dropout") << " p=" << p << " " << dtype_name(dtype);
        cpu_y.backward(upstream.to(dtype));
        gpu_y.backward(upstream.to(dtype).to(kGpu));
        EXPECT_TRUE(all_close(gpu_x.grad().to(Device::cpu()).to(DType::f32),
                              cpu_x.grad().to(DType::f32), 0.0, 0.0));
      }
    }
  }
}

TEST(CudaRandom, LargeDropoutKeepsAboutOneMinusP) {
  FOVEA_REQUIRE_GPU();
  NoGradGuard no_grad;
  Generator gen(3);
  const Tensor y = dropout(ones({1 << 22}, {.device = kGpu}), 0.3, true, &gen);
  const double kept = mean(ne(y, 0.0).to(DType::f32)).item();
  EXPECT_NEAR(kept, 0.7, 0.002);
  Generator cpu_gen(3);
  const Tensor expected = dropout(ones({1 << 22}), 0.3, true, &cpu_gen);
  EXPECT_TRUE(all_close(y.to(Device::cpu()), expected, 0.0, 0.0));
}

}  // namespace
}  // namespace fovea
