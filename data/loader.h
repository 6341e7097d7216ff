#pragma once
// Loader: N worker threads turn a Dataset and a Pipeline into batches, ahead of the
// trainer, through a bounded queue.
//
// Work is split by whole batches: batch b of an epoch covers positions
// [b * batch_size, (b + 1) * batch_size) of the sampler's order, a worker claims the next
// unclaimed batch, and next() hands batches out strictly in order. At most `prefetch`
// batches are claimed beyond the one the trainer waits for. Every random draw is keyed by
// (seed, epoch, position in the epoch) -- the mixing of a batch by (seed, epoch, b) -- so
// a batch holds the same bytes whatever the number of workers, and an epoch can be resumed
// at any batch.
//
// Bad samples never crash a run and never change a label. When the sample at position p
// cannot be read (DecodeError: corrupt, truncated, not an image, unreadable), it is
// recorded once in bad_samples() (with a warning naming the file) and its batch slot is
// filled by the next readable sample of the epoch's order, p + 1, p + 2, ... (wrapping
// round). The replacement keeps its own label, and Batch::indices names it, so a batch is
// always full and every label is the label of the image next to it; the price is that the
// replacement is seen twice in that epoch. Which samples are bad is a property of the
// files, so this too is the same for any worker count.
#include <atomic>
#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "data/bad_samples.h"
#include "data/dataset.h"
#include "data/host_buffer.h"
#include "data/mixup.h"
#include "data/pipeline.h"
#include "data/sampler.h"
#include "engine/tensor.h"

namespace fovea::data {

struct LoaderOptions {
  int64_t batch_size = 32;
  int workers = 2;
  int prefetch = 0;  // batches ready or in flight beyond the consumer (0: 2 per worker)
  SamplerKind sampler = SamplerKind::shuffle;
  int64_t samples_per_epoch = 0;  // class_balanced only (0: the dataset size)
  bool drop_last = true;
  uint64_t seed = 0;
  DType dtype = DType::f32;             // f32, bf16 or f16 images
  bool pin_memory = true;               // page-locked batches when a GPU is present
  std::optional<MixupOptions> mixup{};  // batch-level mixup/cutmix with soft targets
  bool quiet = false;                   // no warnings on stderr for bad samples
};

struct Batch {
  Tensor images;                 // [B, H, W, C] in options.dtype, NHWC, in (pinned) host memory
  Tensor labels;                 // [B] i64: the label of each image, never changed
  Tensor soft_targets;           // [B, num_classes] f32 with mixup; undefined otherwise
  std::vector<int64_t> indices;  // the dataset index of each image
  uint64_t epoch = 0;
  int64_t batch = 0;  // position of this batch in its epoch
};

class Loader {
 public:
  Loader(std::shared_ptr<const Dataset> dataset, std::shared_ptr<const Pipeline> pipeline,
         LoaderOptions options);
  // Stops the workers, each finishing at most the sample it is making; safe mid-epoch.
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Starts `epoch` at batch `start_batch` (a resumed run passes the batch it stopped at).
  // Batches of an earlier epoch still in the queue are dropped.
  void start_epoch(uint64_t epoch, int64_t start_batch = 0);
  void set_epoch(uint64_t epoch) { start_epoch(epoch, 0); }
  // The next batch of the current epoch, or nullopt once it is done. Rethrows the error
  // of a batch that failed for a reason other than a bad sample.
  std::optional<Batch> next();

  int64_t batches_per_epoch() const;
  // Assembles one batch on the calling thread, exactly as a worker would.
  Batch make_batch(uint64_t epoch, int64_t batch) const;
  const BadSampleLog& bad_samples() const { return bad_; }
  int64_t skipped_samples() const { return bad_.count(); }
  const LoaderOptions& options() const { return options_; }

 private:
  struct Result {
    std::optional<Batch> batch;
    std::exception_ptr error;
  };
  Batch assemble(const std::vector<int64_t>& order, uint64_t epoch, int64_t batch,
                 std::vector<float>& scratch) const;
  int64_t load_into(const std::vector<int64_t>& order, uint64_t epoch, int64_t position,
                    float* out) const;
  void work();

  std::shared_ptr<const Dataset> dataset_;
  std::shared_ptr<const Pipeline> pipeline_;
  LoaderOptions options_;
  Sampler sampler_;
  std::shared_ptr<HostBufferPool> pool_;
  mutable BadSampleLog bad_;

  std::atomic<bool> stopping_{false};  // read by workers between samples
  std::mutex mutex_;
  std::condition_variable work_ready_, batch_ready_;
  bool stop_ = false;
  uint64_t generation_ = 0;  // bumped by start_epoch: results of older epochs are dropped
  bool started_ = false;
  uint64_t epoch_ = 0;
  std::shared_ptr<const std::vector<int64_t>> order_;
  int64_t next_claim_ = 0, next_deliver_ = 0, end_ = 0;
  std::map<int64_t, Result> ready_;
  std::vector<std::thread> workers_;
};

}  // namespace fovea::data
