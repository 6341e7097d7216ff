// The threaded loader (determinism with any worker count, resuming, bad samples,
// shutdown), the samplers, and the packed cache's round trip.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

#include "data/image_folder.h"
#include "data/loader.h"
#include "data/pack.h"
#include "data/packed_dataset.h"
#include "tests/data/data_test_util.h"

namespace fovea::data {
namespace {

using testing::TempDir;

std::shared_ptr<const Dataset> fashion_subset(int64_t count) {
  static const auto test = fashion_mnist("test");
  std::vector<int64_t> indices(static_cast<size_t>(count));
  std::iota(indices.begin(), indices.end(), int64_t{0});
  return std::make_shared<SubsetDataset>(test, indices);
}

std::shared_ptr<const Pipeline> augmenting_pipeline(int size, int channels) {
  PipelineSpec spec;
  spec.image_size = size;
  spec.channels = channels;
  spec.rotate_degrees = 25;
  spec.vflip = 0.5;
  spec.jitter = {.brightness = 0.4, .contrast = 0.4};
  spec.rand_augment = "rand-m9-mstd0.5";
  spec.random_erasing = 0.5;
  if (channels == 1) spec.normalization = {{kFashionMnistMean}, {kFashionMnistStd}};
  return std::make_shared<Pipeline>(spec);
}

std::vector<uint8_t> bytes_of(const Tensor& t) {
  if (!t.defined()) return {};
  const auto* p = static_cast<const uint8_t*>(t.raw_data());
  return {p, p + t.nbytes()};
}

std::vector<Batch> whole_epoch(Loader& loader, uint64_t epoch, int64_t start = 0) {
  loader.start_epoch(epoch, start);
  std::vector<Batch> batches;
  while (auto batch = loader.next()) batches.push_back(std::move(*batch));
  return batches;
}

void expect_same(const Batch& a, const Batch& b) {
  EXPECT_EQ(a.batch, b.batch);
  EXPECT_EQ(a.indices, b.indices);
  EXPECT_EQ(bytes_of(a.images), bytes_of(b.images));
  EXPECT_EQ(bytes_of(a.labels), bytes_of(b.labels));
  EXPECT_EQ(bytes_of(a.soft_targets), bytes_of(b.soft_targets));
}

TEST(Loader, SameBytesWithOneOrThreeWorkers) {
  const auto dataset = fashion_subset(150);
  const auto pipeline = augmenting_pipeline(24, 3);
  LoaderOptions options{.batch_size = 16, .workers = 1, .seed = 5, .dtype = DType::bf16};
  options.mixup = MixupOptions{};
  Loader one(dataset, pipeline, options);
  options.workers = 3;
  Loader three(dataset, pipeline, options);
  EXPECT_EQ(one.batches_per_epoch(), 9);  // drop_last: 150 / 16
  for (uint64_t epoch : {0, 1}) {
    const auto a = whole_epoch(one, epoch), b = whole_epoch(three, epoch);
    ASSERT_EQ(a.size(), 9u);
    ASSERT_EQ(b.size(), 9u);
    for (size_t i = 0; i < a.size(); ++i) expect_same(a[i], b[i]);
    EXPECT_EQ(a[0].images.shape(), (Shape{16, 24, 24, 3}));
    EXPECT_EQ(a[0].images.dtype(), DType::bf16);
    EXPECT_EQ(a[0].soft_targets.shape(), (Shape{16, 10}));
    const auto labels = a[2].labels.to_vector<int64_t>();
    for (size_t s = 0; s < labels.size(); ++s)
      EXPECT_EQ(labels[s], dataset->label(a[2].indices[s]));
  }
  EXPECT_NE(whole_epoch(one, 0)[0].indices, whole_epoch(one, 1)[0].indices);
}

TEST(Loader, ResumesMidEpochExactly) {
  const auto dataset = fashion_subset(100);
  LoaderOptions options{.batch_size = 10, .workers = 2, .seed = 3};
  Loader loader(dataset, augmenting_pipeline(20, 1), options);
  const auto full = whole_epoch(loader, 4);
  loader.start_epoch(7);  // abandoned mid-epoch, as when a run is killed
  ASSERT_TRUE(loader.next().has_value());
  const auto resumed = whole_epoch(loader, 4, 6);
  ASSERT_EQ(resumed.size(), 4u);
  for (size_t i = 0; i < resumed.size(); ++i) expect_same(resumed[i], full[6 + i]);
  expect_same(loader.make_batch(4, 2), full[2]);
}

TEST(Loader, SkipsBadFilesWithoutChangingLabels) {
  TempDir dir;
  const testing::TestTree tree = testing::make_test_tree(dir.path());
  ImageFolderOptions folder_options;
  folder_options.quiet = true;
  const auto folder = std::make_shared<ImageFolder>(dir.path(), folder_options);
  PipelineSpec spec;
  spec.image_size = 32;
  spec.train = false;
  LoaderOptions options{.batch_size = 4,
                        .workers = 2,
                        .sampler = SamplerKind::sequential,
                        .drop_last = false,
                        .quiet = true};
  Loader loader(folder, std::make_shared<Pipeline>(spec), options);
  for (uint64_t epoch : {0, 1}) {
    const auto batches = whole_epoch(loader, epoch);
    ASSERT_EQ(batches.size(), 3u);
    EXPECT_EQ(batches[2].images.size(0), 3);  // 11 = 4 + 4 + 3, every slot filled
    // Positions 7..10 (b_bad's corrupt, fake, truncated, zero) are bad: each slot takes the
    // next readable sample of the order, wrapping round to sample 0.
    EXPECT_EQ(batches[1].indices, (std::vector<int64_t>{4, 5, 6, 0}));
    EXPECT_EQ(batches[2].indices, (std::vector<int64_t>{0, 0, 0}));
    for (const Batch& batch : batches) {
      const auto labels = batch.labels.to_vector<int64_t>();
      for (size_t s = 0; s < labels.size(); ++s)
        EXPECT_EQ(labels[s], folder->label(batch.indices[s]));
    }
  }
  EXPECT_EQ(loader.skipped_samples(), tree.bad_files);  // counted once over two epochs
  const auto reasons = loader.bad_samples().reasons();
  ASSERT_EQ(reasons.size(), 4u);
  EXPECT_NE(reasons[0].find("corrupt.jpg"), std::string::npos) << reasons[0];
}

TEST(Loader, ShutsDownCleanlyMidEpochAndChecksItsUse) {
  const auto dataset = fashion_subset(200);
  {
    Loader loader(dataset, augmenting_pipeline(64, 3), {.batch_size = 8, .workers = 3});
    EXPECT_THROW(loader.next(), Error);  // no epoch started
    loader.set_epoch(0);
    ASSERT_TRUE(loader.next().has_value());
  }  // destroyed with batches in flight
  EXPECT_THROW(Loader(dataset, augmenting_pipeline(8, 1), {.batch_size = 0}), Error);
  EXPECT_THROW(Loader(dataset, augmenting_pipeline(8, 1), {.dtype = DType::i32}), Error);
  Loader loader(dataset, augmenting_pipeline(8, 1), {.batch_size = 64, .drop_last = false});
  EXPECT_EQ(loader.batches_per_epoch(), 4);
  EXPECT_THROW(loader.start_epoch(0, 5), Error);
}

TEST(HostBufferPool, RecyclesBuffersAndIsNotPinnedWithoutAGpu) {
  auto pool = HostBufferPool::create(1024, true);
  EXPECT_EQ(pool->pinned(), cuda_available());
  { Tensor a = pool->tensor({4, 8}, DType::f32); }
  Tensor b = pool->tensor({2, 8}, DType::f32);
  EXPECT_EQ(pool->buffers_allocated(), 1u);
  EXPECT_THROW(pool->tensor({1024}, DType::f32), Error);
}

TEST(Sampler, ClassBalancedDrawsClassesEquallyOften) {
  static const auto test = fashion_mnist("test");
  std::vector<int64_t> indices;
  std::vector<int64_t> wanted = {900, 90, 10};  // of classes 0, 1, 2
  for (int64_t i = 0; i < test->size(); ++i) {
    const int64_t label = test->label(i);
    if (label < 3 && wanted[label] > 0) {
      indices.push_back(i);
      --wanted[label];
    }
  }
  const SubsetDataset imbalanced(test, indices);
  const Sampler sampler(SamplerKind::class_balanced, imbalanced, 11, 30000);
  const std::vector<int64_t> order = sampler.order(0);
  ASSERT_EQ(order.size(), 30000u);
  std::vector<double> share(10, 0.0);
  for (int64_t i : order) share[imbalanced.label(i)] += 1.0 / 30000;
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(share[c], 1.0 / 3.0, 0.015) << "class " << c;
  EXPECT_EQ(sampler.order(0), order);
  EXPECT_NE(sampler.order(1), order);
  const Sampler shuffle(SamplerKind::shuffle, imbalanced, 11);
  std::vector<int64_t> permutation = shuffle.order(2);
  std::sort(permutation.begin(), permutation.end());
  std::vector<int64_t> identity(1000);
  std::iota(identity.begin(), identity.end(), int64_t{0});
  EXPECT_EQ(permutation, identity);
  EXPECT_THROW(parse_sampler("random"), Error);
}

TEST(Pack, RoundTripsExactlyAndSurvivesInterruption) {
  TempDir dir;
  const testing::TestTree tree = testing::make_test_tree(dir / "src");
  ImageFolderOptions folder_options;
  folder_options.quiet = true;
  const ImageFolder folder(dir / "src", folder_options);
  const PackOptions options{.size = 24};
  const PackResult result = pack_dataset(folder, dir / "pack", options);
  EXPECT_EQ(result.packed, tree.files - tree.bad_files);
  EXPECT_EQ(static_cast<int64_t>(result.skipped.size()), tree.bad_files);

  const PackedDataset packed(dir / "pack");
  EXPECT_EQ(packed.classes(), folder.classes());
  ASSERT_EQ(packed.size(), result.packed);
  int64_t p = 0;
  for (int64_t i = 0; i < folder.size(); ++i) {
    Image decoded;
    try {
      decoded = folder.load(i);
    } catch (const DecodeError&) {
      continue;
    }
    const Image expected = pack_resize(decoded, options);
    EXPECT_EQ(std::min(expected.height, expected.width), 24);
    EXPECT_EQ(packed.load(p), expected) << folder.path(i);
    EXPECT_EQ(packed.label(p), folder.label(i));
    ++p;
  }

  // An interrupted rerun: the temp files exist and the index is gone.
  std::filesystem::remove(dir / "pack" / kPackIndexFile);
  testing::write_bytes(dir / "pack" / "images.u8.tmp", {1, 2, 3});
  try {
    PackedDataset incomplete(dir / "pack");
    FAIL() << "a pack without its index must not open";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a complete pack"), std::string::npos) << e.what();
  }
  pack_dataset(folder, dir / "pack", {.size = 20, .max_side = true});
  const PackedDataset repacked(dir / "pack");
  EXPECT_TRUE(repacked.max_side());
  EXPECT_EQ(std::max(repacked.load(0).height, repacked.load(0).width), 20);
  EXPECT_FALSE(std::filesystem::exists(dir / "pack" / "images.u8.tmp"));
}

}  // namespace
}  // namespace fovea::data
