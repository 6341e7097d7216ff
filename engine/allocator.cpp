#include "engine/allocator.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include "engine/cuda_backend.h"
#include "kernels/error.h"

namespace fovea {


void ByteCounter::on_allocate(size_t nbytes) {
  const size_t now = current_.fetch_add(nbytes) + nbytes;
  size_t peak = peak_.load();
  while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
  }
  allocations_.fetch_add(1);
}

AllocatorStats ByteCounter::stats() const {
  AllocatorStats s;
  s.current_bytes = current_.load();
  s.peak_bytes = peak_.load();
  s.allocations = allocations_.load();
  return s;
}

namespace {

class CpuAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes) override {
    // aligned_alloc wants a size that is a multiple of the alignment, and we never
    // hand out a null pointer, even for empty tensors.
    const size_t rounded = ((nbytes + kCpuAlignment - 1) / kCpuAlignment) * kCpuAlignment;
    void* ptr = std::aligned_alloc(kCpuAlignment, rounded == 0 ? kCpuAlignment : rounded);
    if (ptr == nullptr) {
      fail("CPU allocator: out of memory allocating {} bytes ({} bytes already in use)", nbytes,
           bytes_.current());
    }
    if (poison_new_blocks()) std::memset(ptr, 0xFF, rounded);
    bytes_.on_allocate(nbytes);
    return ptr;
  }

  void deallocate(void* ptr, size_t nbytes) override {
    std::free(ptr);
    bytes_.on_deallocate(nbytes);
  }

  AllocatorStats stats() const override { return bytes_.stats(); }
  void reset_peak() override { bytes_.reset_peak(); }

 private:
  ByteCounter bytes_;
};

}  // namespace

namespace {
std::atomic<bool> poison_flag{false};
}  // namespace

void set_poison_new_blocks(bool on) { poison_flag.store(on); }
bool poison_new_blocks() { return poison_flag.load(); }

Allocator& cpu_allocator() {
  static CpuAllocator allocator;
  return allocator;
}

Allocator& allocator_for(Device device) {
  if (device.is_cpu()) return cpu_allocator();
  return cuda::allocator(device.index);
}

}  // namespace fovea
