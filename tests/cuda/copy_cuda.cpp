// Copies and casts of CUDA tensors against the CPU: to(dtype) between every pair of
// dtypes, contiguous() of permuted and sliced views, copy_ into strided views (on the
// device and across the host boundary), broadcast copies, and fill_ of a view.
#include <gtest/gtest.h>

#include <limits>

#include "tests/cuda/inputs.h"
#include "tests/support/cuda_testing.h"

namespace fovea {
namespace {

using testing::all_close;
using testing::cuda_matches_cpu;
using testing::kCudaDtypes;
using testing::uniform_input;

const Device kGpu = Device::cuda(0);

// Bit-level equality of two CPU tensors of one dtype (through f64, which holds every value
// of every dtype here exactly).
::testing::AssertionResult same_values(const Tensor& actual, const Tensor& expected) {
  if (actual.dtype() != expected.dtype() || actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure()
           << "dtype or shape differ: " << dtype_name(actual.dtype()) << shape_str(actual.shape())
           << " vs " << dtype_name(expected.dtype()) << shape_str(expected.shape());
  }
  const std::vector<double> a = actual.to_vector<double>(), e = expected.to_vector<double>();
  for (size_t i = 0; i < a.size(); ++i) {
    const bool both_nan = a[i] != a[i] && e[i] != e[i];
    if (!both_nan && a[i] != e[i]) {
      return ::testing::AssertionFailure() << "element " << i << ": " << a[i] << " vs " << e[i];
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(CudaCopy, CastsBetweenEveryPairOfDtypes) {
  FOVEA_REQUIRE_GPU();
  const DType all[] = {DType::f32, DType::f16, DType::bf16, DType::f64,
                       DType::i32, DType::i64, DType::u8,   DType::boolean};
  // Fractions, negatives, values past the 16-bit and u8 ranges, NaN and infinities.
  Tensor source = mul(uniform_input({3, 97}, 1, -300.0, 300.0), 1.0);
  {
    NoGradGuard no_grad;
    source.narrow(1, 0, 1).fill_(std::numeric_limits<double>::quiet_NaN());
    source.narrow(1, 1, 1).fill_(std::numeric_limits<double>::infinity());
    source.narrow(1, 2, 1).fill_(-1e10);
    source.narrow(1, 3, 1).fill_(0.0);
  }
  for (DType from : all) {
    const Tensor cpu_from = source.to(from);
    const Tensor gpu_from = cpu_from.to(kGpu);
    for (DType to : all) {
      EXPECT_TRUE(same_values(gpu_from.to(to).to(Device::cpu()), cpu_from.to(to)))
          << dtype_name(from) << " -> " << dtype_name(to);
    }
  }
}

TEST(CudaCopy, ContiguousOfViews) {
  FOVEA_REQUIRE_GPU();
  const Tensor x = uniform_input({2, 5, 7, 13}, 2);
  for (DType dtype : kCudaDtypes) {
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return in[0].permute({0, 3, 1, 2}).contiguous();
        },
        {x}, dtype, "contiguous of NHWC -> NCHW"));
    EXPECT_TRUE(
        cuda_matches_cpu([](const TensorList& in) { return in[0].slice(2, 1, 7, 3).contiguous(); },
                         {x}, dtype, "contiguous of a stepped slice"));
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return in[0].narrow(3, 0, 1).expand({2, 5, 7, 4}).contiguous();
        },
        {x}, dtype, "contiguous of an expand"));
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) { return mul(in[0].transpose(1, 2).to(DType::f32), 2.0); }, {x},
        dtype, "to(f32) of a transpose"));
  }
}

TEST(CudaCopy, CopyIntoStridedViews) {
  FOVEA_REQUIRE_GPU();
  NoGradGuard no_grad;
  const Tensor src = uniform_input({4, 3}, 3);
  const Tensor row = uniform_input({3}, 4);
  for (DType dtype : kCudaDtypes) {
    Tensor expected = zeros({4, 6}, {.dtype = dtype});
    expected.slice(1, 0, 6, 2).copy_(src);
    expected.narrow(0, 3, 1).slice(1, 1, 6, 2).copy_(row);

    // Device to device (with a cast from f32), and host to device, into strided views.
    Tensor on_device = zeros({4, 6}, {.dtype = dtype, .device = kGpu});
    on_device.slice(1, 0, 6, 2).copy_(src.to(kGpu));
    on_device.narrow(0, 3, 1).slice(1, 1, 6, 2).copy_(row);
    EXPECT_TRUE(same_values(on_device.to(Device::cpu()), expected)) << dtype_name(dtype);

    // Device to host: out of a strided CUDA view into a strided host view.
    Tensor host = zeros({3, 4}, {.dtype = DType::f32});
    host.transpose(0, 1).copy_(on_device.slice(1, 0, 6, 2));
    EXPECT_TRUE(same_values(host, expected.slice(1, 0, 6, 2).transpose(0, 1).to(DType::f32)));

    // A broadcast copy and a fill of a view on the device.
    Tensor broadcast = empty({5, 3}, {.dtype = dtype, .device = kGpu});
    broadcast.copy_(row.to(kGpu));
    EXPECT_TRUE(
        same_values(broadcast.to(Device::cpu()), row.to(dtype).expand({5, 3}).contiguous()));
    Tensor filled = zeros({4, 6}, {.dtype = dtype, .device = kGpu});
    filled.slice(0, 1, 4, 2).fill_(2.5);
    Tensor filled_expected = zeros({4, 6}, {.dtype = dtype});
    filled_expected.slice(0, 1, 4, 2).fill_(2.5);
    EXPECT_TRUE(same_values(filled.to(Device::cpu()), filled_expected));
  }
}

TEST(CudaCopy, LargeConversionUsesManyBlocks) {
  FOVEA_REQUIRE_GPU();
  const Tensor x = uniform_input({64, 97, 131}, 5);
  const Tensor gpu = x.to(kGpu);
  EXPECT_TRUE(same_values(gpu.to(DType::bf16).to(Device::cpu()), x.to(DType::bf16)));
  EXPECT_TRUE(same_values(gpu.transpose(0, 2).contiguous().to(Device::cpu()),
                          x.transpose(0, 2).contiguous()));
  EXPECT_TRUE(all_close(gpu.to(DType::f16).to(DType::f32).to(Device::cpu()),
                        x.to(DType::f16).to(DType::f32), 0.0, 0.0));
}

}  // namespace
}  // namespace fovea
