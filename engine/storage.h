#pragma once
// A block of device memory shared by every tensor that views it. Ownership is by
// std::shared_ptr: the block goes back to its allocator when the last view is gone.
#include <cstddef>
#include <functional>
#include <memory>

#include "engine/device.h"

namespace fovea {

class Storage {
 public:
  // Allocates `nbytes` from the allocator of `device`.
  Storage(size_t nbytes, Device device);
  // Wraps memory owned by someone else (an mmap'd file, a pinned buffer); `release` is
  // called once when the storage dies.
  Storage(void* data, size_t nbytes, Device device, std::function<void(void*)> release);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  std::function<void(void*)> release_;
};

using StoragePtr = std::shared_ptr<Storage>;

}  // namespace fovea
