// The caching CUDA allocator: reuse on the same stream, byte accounting, and the
// out-of-memory message.
#include <gtest/gtest.h>

#include "engine/allocator.h"
#include "tests/support/cuda_testing.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

TEST(CudaAllocator, ReusesFreedBlocks) {
  FOVEA_REQUIRE_GPU();
  Allocator& allocator = allocator_for(Device::cuda());
  void* first = allocator.allocate(1000);
  allocator.deallocate(first, 1000);
  void* second = allocator.allocate(900);  // same 1024-byte bin
  EXPECT_EQ(first, second);
  allocator.deallocate(second, 900);
  EXPECT_GE(allocator.stats().cached_bytes, 1024u);
  allocator.empty_cache();
  EXPECT_EQ(allocator.stats().cached_bytes, 0u);
}

TEST(CudaAllocator, TracksCurrentAndPeakBytes) {
  FOVEA_REQUIRE_GPU();
  Allocator& allocator = allocator_for(Device::cuda());
  allocator.empty_cache();
  const size_t before = allocator.stats().current_bytes;
  allocator.reset_peak();
  {
    Tensor a = zeros({1 << 20}, {.device = Device::cuda()});  // 4 MiB
    Tensor b = zeros({1 << 19}, {.device = Device::cuda()});  // 2 MiB
    EXPECT_EQ(allocator.stats().current_bytes, before + (6u << 20));
  }
  EXPECT_EQ(allocator.stats().current_bytes, before);
  EXPECT_EQ(allocator.stats().peak_bytes, before + (6u << 20));
}

TEST(CudaAllocator, OutOfMemoryNamesTheSizeAndSuggestsAFix) {
  FOVEA_REQUIRE_GPU();
  try {
    Tensor huge = empty({int64_t{1} << 48}, {.device = Device::cuda()});  // 1 PiB
    FAIL() << "a petabyte allocation succeeded";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("CUDA out of memory"), std::string::npos) << message;
    EXPECT_NE(message.find(std::to_string(uint64_t{4} << 48)), std::string::npos) << message;
    EXPECT_NE(message.find("Lower the batch size"), std::string::npos) << message;
  }
  // The allocator still works afterwards.
  Tensor ok = ones({16}, {.device = Device::cuda()});
  EXPECT_EQ(ok.cpu().to_vector<float>()[15], 1.0f);
}

TEST(CudaTransfer, RoundTripsThroughTheDevice) {
  FOVEA_REQUIRE_GPU();
  Tensor host = randn({3, 5});
  Tensor device = host.to(Device::cuda());
  EXPECT_TRUE(device.device().is_cuda());
  EXPECT_ALL_CLOSE(device.cpu(), host, 0, 0);
  EXPECT_EQ(device.str().find("device='cuda:0'") != std::string::npos, true);
}

}  // namespace
}  // namespace fovea
