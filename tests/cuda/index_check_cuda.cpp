// The device-side index range check (kernels/cuda/index_check.cu): indices in range, and a
// loss's ignore_index, pass without reading the device; an index out of range stops the
// process at the next synchronisation with a message naming the op. The check traps, which
// leaves the CUDA context unusable, so the failing cases run in a child process (death
// tests fork).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <vector>

#include "engine/host_sync.h"
#include "engine/ops/loss.h"
#include "engine/ops/shape.h"
#include "tests/cuda/inputs.h"
#include "tests/support/cuda_testing.h"

namespace fovea {
namespace {

using testing::uniform_input;

const Device kGpu = Device::cuda(0);

Tensor indices(std::vector<int64_t> values) {
  return from_vector(values, {static_cast<int64_t>(values.size())}).to(kGpu);
}

TEST(CudaIndexCheck, InRangeIndicesAndIgnoreIndexPassWithoutAHostRead) {
  FOVEA_REQUIRE_GPU();
  const Tensor table = uniform_input({5, 3}, 1).to(kGpu);
  const Tensor logits = uniform_input({4, 5}, 2).to(kGpu);
  const int64_t before = host_sync_count();
  const Tensor picked = index_select(table, 0, indices({4, 0, 2, 2}));
  const Tensor loss = cross_entropy(logits, indices({1, -100, 4, 0}));
  EXPECT_EQ(host_sync_count(), before);
  EXPECT_EQ(picked.to(Device::cpu()).to_vector<float>(),
            index_select(table.to(Device::cpu()), 0, indices({4, 0, 2, 2}).to(Device::cpu()))
                .to_vector<float>());
  EXPECT_TRUE(std::isfinite(loss.item()));
}

TEST(CudaIndexCheckDeathTest, OutOfRangeIndexStopsNamingTheOp) {
  FOVEA_REQUIRE_GPU();
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const Tensor table = uniform_input({5, 3}, 1);
  EXPECT_DEATH(
      {
        dup2(STDERR_FILENO, STDOUT_FILENO);  // the device's printf goes to stdout
        const Tensor picked = index_select(table.to(kGpu), 0, indices({1, 5}));
        (void)picked.to_vector<float>();  // the next synchronisation raises it
      },
      "index_select: index 5 is out of range for dim 0 of size 5");
  EXPECT_DEATH(
      {
        dup2(STDERR_FILENO, STDOUT_FILENO);
        const Tensor loss = cross_entropy(uniform_input({2, 5}, 2).to(kGpu), indices({0, 7}));
        (void)loss.item();
      },
      "cross_entropy: index 7 is out of range for dim 1 of size 5");
}

}  // namespace
}  // namespace fovea
