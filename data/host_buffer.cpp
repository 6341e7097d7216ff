#include "data/host_buffer.h"

#include <cstdlib>

#include "engine/allocator.h"
#include "engine/cuda_backend.h"
#include "kernels/error.h"

namespace fovea::data {

std::shared_ptr<HostBufferPool> HostBufferPool::create(size_t buffer_bytes, bool pin) {
  bool pinned = false;
  pinned = pin && cuda_available();
  return std::shared_ptr<HostBufferPool>(new HostBufferPool(buffer_bytes, pinned));
}

HostBufferPool::~HostBufferPool() {
  for (void* buffer : free_) {
    if (pinned_) {
      cuda::free_pinned(buffer);
      continue;
    }
    std::free(buffer);
  }
}

void* HostBufferPool::allocate() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!free_.empty()) {
      void* buffer = free_.back();
      free_.pop_back();
      return buffer;
    }
    ++allocated_;
  }
  void* buffer = nullptr;
  if (pinned_) return cuda::allocate_pinned(buffer_bytes_);
  const size_t rounded = (buffer_bytes_ + kCpuAlignment - 1) / kCpuAlignment * kCpuAlignment;
  buffer = std::aligned_alloc(kCpuAlignment, rounded == 0 ? kCpuAlignment : rounded);
  FOVEA_CHECK(buffer != nullptr, "HostBufferPool: out of memory allocating {} bytes",
              buffer_bytes_);
  return buffer;
}

void HostBufferPool::release(void* buffer) {
  std::lock_guard<std::mutex> lock(mutex_);
  free_.push_back(buffer);
}

size_t HostBufferPool::buffers_allocated() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return allocated_;
}

Tensor HostBufferPool::tensor(const Shape& shape, DType dtype) {
  const size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
  FOVEA_CHECK(bytes <= buffer_bytes_,
              "HostBufferPool: a {} {} tensor needs {} bytes, buffers hold {}", shape_str(shape),
              dtype_name(dtype), bytes, buffer_bytes_);
  void* buffer = allocate();
  // The storage keeps the pool alive, so a batch may outlive its loader.
  auto storage =
      std::make_shared<Storage>(buffer, bytes, Device::cpu(),
                                [pool = shared_from_this()](void* data) { pool->release(data); });
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(impl);
}

}  // namespace fovea::data
