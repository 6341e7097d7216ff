// Multi-GPU safety: every CUDA op runs on its tensors' device, whatever device the thread
// has current, and leaves the current device as it found it. Needs two GPUs; skips on one.
#include <gtest/gtest.h>

#include "engine/cuda_backend.h"
#include "engine/ops/conv.h"
#include "engine/ops/matmul.h"
#include "engine/ops/norm.h"
#include "engine/ops/softmax.h"
#include "tests/cuda/inputs.h"
#include "tests/support/cuda_testing.h"

namespace fovea {
namespace {

using testing::all_close;
using testing::uniform_input;

TEST(CudaDeviceGuard, OpsOnTheSecondDeviceRunThereAndKeepTheCurrentDevice) {
  FOVEA_REQUIRE_GPU();
  if (cuda::device_count() < 2) GTEST_SKIP() << "needs two CUDA devices";
  const Device second = Device::cuda(1);
  const Tensor x = uniform_input({2, 8, 8, 16}, 1), w = uniform_input({16, 3, 3, 16}, 2);
  const Tensor m = uniform_input({16, 24}, 3);
  auto compute = [&](Device device) {
    const Tensor xd = x.to(device), wd = w.to(device), md = m.to(device);
    const Tensor y = conv2d(xd, wd, Tensor(), {.padding = {1, 1}});
    const Tensor z = softmax(layer_norm(matmul(y.reshape({-1, 16}), md), {24}), -1);
    return sum(z, {0}).to(Device::cpu());
  };
  ASSERT_EQ(cuda::current_device(), 0);
  const Tensor on_second = compute(second);
  EXPECT_EQ(cuda::current_device(), 0) << "an op left device 1 current";
  EXPECT_TRUE(all_close(on_second, compute(Device::cpu()), 1e-4, 1e-4));
}

}  // namespace
}  // namespace fovea
