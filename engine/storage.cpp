#include "engine/storage.h"

#include "engine/allocator.h"

namespace fovea {

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  Allocator& allocator = allocator_for(device);
  data_ = allocator.allocate(nbytes);
  release_ = [&allocator, nbytes](void* ptr) { allocator.deallocate(ptr, nbytes); };
}

Storage::Storage(void* data, size_t nbytes, Device device, std::function<void(void*)> release)
    : data_(data), nbytes_(nbytes), device_(device), release_(std::move(release)) {}

Storage::~Storage() {
  if (release_) release_(data_);
}

}  // namespace fovea
