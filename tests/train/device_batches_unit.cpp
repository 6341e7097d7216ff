// DeviceBatches on the CPU: the loader's batches pass through in order, none lost or
// repeated by the one-ahead prefetch (the CUDA upload itself: tests/cuda/upload_cuda.cpp).
#include <gtest/gtest.h>

#include <numeric>

#include "data/idx.h"
#include "data/loader.h"
#include "train/device_batches.h"

namespace fovea::train {
namespace {

TEST(DeviceBatches, PassCpuBatchesThroughInOrder) {
  const std::shared_ptr<const data::Dataset> test = data::fashion_mnist("test");
  std::vector<int64_t> indices(40);
  std::iota(indices.begin(), indices.end(), int64_t{0});
  const auto dataset = std::make_shared<data::SubsetDataset>(test, indices);
  data::PipelineSpec spec;
  spec.image_size = 28;
  spec.channels = 3;
  const auto pipeline = std::make_shared<data::Pipeline>(spec);
  data::Loader loader(dataset, pipeline, {.batch_size = 8, .workers = 2, .seed = 3});
  loader.start_epoch(0);
  std::vector<std::vector<int64_t>> direct;
  while (auto batch = loader.next()) direct.push_back(batch->indices);
  ASSERT_EQ(direct.size(), 5u);

  loader.start_epoch(0);
  DeviceBatches on_device(loader, Device::cpu());
  std::vector<std::vector<int64_t>> through;
  while (auto batch = on_device.next()) {
    EXPECT_TRUE(batch->images.device().is_cpu());
    EXPECT_EQ(batch->batch, static_cast<int64_t>(through.size()));
    through.push_back(batch->indices);
  }
  EXPECT_EQ(through, direct);
  EXPECT_FALSE(on_device.next().has_value()) << "an exhausted epoch stays exhausted";
}

}  // namespace
}  // namespace fovea::train
