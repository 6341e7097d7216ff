#include "train/device_batches.h"

#include "engine/cuda_backend.h"

namespace fovea::train {

std::optional<data::Batch> DeviceBatches::fetch() {
  std::optional<data::Batch> batch = loader_.next();
  if (!batch || device_.is_cpu()) return batch;
  auto upload = [&](Tensor& t) {
    if (t.defined()) t = cuda::upload_async(t, device_);
  };
  upload(batch->images);
  upload(batch->labels);
  upload(batch->soft_targets);
  return batch;
}

std::optional<data::Batch> DeviceBatches::next() {
  if (!started_) {
    ahead_ = fetch();
    started_ = true;
  }
  std::optional<data::Batch> current = std::move(ahead_);
  ahead_ = current ? fetch() : std::nullopt;
  return current;
}

}  // namespace fovea::train
