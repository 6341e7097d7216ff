#pragma once
// HostBufferPool: reusable host memory for assembled batches. With a GPU present, the
// buffers are page-locked (cudaHostAlloc), so a batch's copy to the device can run
// asynchronously and overlap with compute; otherwise they are ordinary 64-byte aligned
// memory. A batch tensor views one buffer; when the last tensor viewing it is gone, the
// buffer goes back to the pool instead of to the system, because pinning is slow.
//
// The pinned path compiles in the CUDA build but has not run on a GPU yet.
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/tensor.h"

namespace fovea::data {

class HostBufferPool : public std::enable_shared_from_this<HostBufferPool> {
 public:
  // `pin`: use page-locked memory when this build has CUDA and a GPU is visible.
  static std::shared_ptr<HostBufferPool> create(size_t buffer_bytes, bool pin);
  ~HostBufferPool();
  HostBufferPool(const HostBufferPool&) = delete;
  HostBufferPool& operator=(const HostBufferPool&) = delete;

  // A contiguous CPU tensor over a pooled buffer (shape_numel * dtype size must fit).
  Tensor tensor(const Shape& shape, DType dtype);
  bool pinned() const { return pinned_; }
  size_t buffers_allocated() const;

 private:
  HostBufferPool(size_t buffer_bytes, bool pinned) : buffer_bytes_(buffer_bytes), pinned_(pinned) {}
  void* allocate();
  void release(void* buffer);

  size_t buffer_bytes_;
  bool pinned_;
  mutable std::mutex mutex_;
  std::vector<void*> free_;
  size_t allocated_ = 0;
};

}  // namespace fovea::data
