// The batch upload path (engine/cuda/upload.cpp, train/device_batches.cpp) on a GPU: an
// asynchronous upload from pinned and from pageable memory gives the host's values; the
// host tensor stays referenced while its copy is in flight and is released after; and
// DeviceBatches hands out the loader's batches on the device, in order.
#include <gtest/gtest.h>

#include <numeric>

#include "data/host_buffer.h"
#include "data/idx.h"
#include "data/loader.h"
#include "engine/cuda_backend.h"
#include "tests/cuda/inputs.h"
#include "tests/support/cuda_testing.h"
#include "train/device_batches.h"

namespace fovea {
namespace {

using testing::uniform_input;

const Device kGpu = Device::cuda(0);

TEST(CudaUpload, GivesTheHostValuesFromPinnedAndPageableMemory) {
  FOVEA_REQUIRE_GPU();
  const auto pool = data::HostBufferPool::create(1 << 20, /*pin=*/true);
  ASSERT_TRUE(pool->pinned());
  for (const bool pinned : {true, false}) {
    Tensor host = pinned ? pool->tensor({64, 33}, DType::f32)
                         : make_tensor({64, 33}, DType::f32, Device::cpu());
    host.copy_(uniform_input({64, 33}, 7));
    const Tensor expected = host.clone();
    const Tensor on_device = cuda::upload_async(host, kGpu);
    EXPECT_EQ(on_device.device(), kGpu);
    EXPECT_EQ(on_device.to_vector<float>(), expected.to_vector<float>()) << "pinned " << pinned;
  }
}

TEST(CudaUpload, KeepsTheHostBufferUntilTheCopyIsDone) {
  FOVEA_REQUIRE_GPU();
  const auto pool = data::HostBufferPool::create(64 << 20, /*pin=*/true);
  Tensor on_device;
  {
    Tensor host = pool->tensor({16 << 20}, DType::f32);  // 64 MB: the copy takes a while
    host.fill_(1.0);
    on_device = cuda::upload_async(host, kGpu);
    EXPECT_GE(cuda::uploads_in_flight(kGpu), 0);
  }
  // The buffer is back in the pool only once the copy is done: reading the result waits
  // for it, after which nothing is in flight.
  EXPECT_EQ(sum(on_device).item(), static_cast<double>(16 << 20));
  EXPECT_EQ(cuda::uploads_in_flight(kGpu), 0);
  EXPECT_EQ(pool->buffers_allocated(), 1u);
}

TEST(CudaDeviceBatches, HandsOutTheLoadersBatchesOnTheDeviceInOrder) {
  FOVEA_REQUIRE_GPU();
  const std::shared_ptr<const data::Dataset> test = data::fashion_mnist("test");
  std::vector<int64_t> indices(48);
  std::iota(indices.begin(), indices.end(), int64_t{0});
  const auto dataset = std::make_shared<data::SubsetDataset>(test, indices);
  data::PipelineSpec spec;
  spec.image_size = 28;
  spec.channels = 3;
  const auto pipeline = std::make_shared<data::Pipeline>(spec);
  data::Loader loader(dataset, pipeline, {.batch_size = 16, .workers = 2, .seed = 1});
  loader.start_epoch(0);
  std::vector<data::Batch> direct;
  while (auto batch = loader.next()) direct.push_back(*batch);
  loader.start_epoch(0);
  train::DeviceBatches on_device(loader, kGpu);
  size_t count = 0;
  while (auto batch = on_device.next()) {
    ASSERT_LT(count, direct.size());
    EXPECT_EQ(batch->images.device(), kGpu);
    EXPECT_EQ(batch->labels.device(), kGpu);
    EXPECT_EQ(batch->images.to_vector<float>(), direct[count].images.to_vector<float>());
    EXPECT_EQ(batch->labels.to_vector<int64_t>(), direct[count].labels.to_vector<int64_t>());
    ++count;
  }
  EXPECT_EQ(count, direct.size());
}

}  // namespace
}  // namespace fovea
