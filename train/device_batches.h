#pragma once
// The loader's batches on the training device, one batch uploaded ahead: next() hands out
// batch k, whose copy was started with batch k - 1, and starts batch k + 1's copy before
// the caller enqueues k's step, so on a GPU the upload overlaps compute and the host
// never waits for it (engine/cuda/upload.cpp). On the CPU the batches pass through.
#include <optional>

#include "data/loader.h"

namespace fovea::train {

class DeviceBatches {
 public:
  DeviceBatches(data::Loader& loader, Device device) : loader_(loader), device_(device) {}
  std::optional<data::Batch> next();

 private:
  std::optional<data::Batch> fetch();

  data::Loader& loader_;
  Device device_;
  bool started_ = false;
  std::optional<data::Batch> ahead_;
};

}  // namespace fovea::train
