#pragma once
// Per-device memory allocators. Storage asks the allocator of its device for bytes and
// gives them back when the last tensor that uses them is gone.
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "engine/device.h"

namespace fovea {

struct AllocatorStats {
  size_t current_bytes = 0;  // handed out and not yet returned
  size_t peak_bytes = 0;     // highest current_bytes since the last reset_peak()
  size_t cached_bytes = 0;   // held by the allocator for reuse (caching allocators only)
  uint64_t allocations = 0;  // number of allocate() calls
};

// Thread-safe byte accounting shared by the allocators.
class ByteCounter {
 public:
  void on_allocate(size_t nbytes);
  void on_deallocate(size_t nbytes) { current_.fetch_sub(nbytes); }
  size_t current() const { return current_.load(); }
  AllocatorStats stats() const;
  void reset_peak() { peak_.store(current_.load()); }

 private:
  std::atomic<size_t> current_{0};
  std::atomic<size_t> peak_{0};
  std::atomic<uint64_t> allocations_{0};
};

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* allocate(size_t nbytes) = 0;
  virtual void deallocate(void* ptr, size_t nbytes) = 0;
  virtual AllocatorStats stats() const = 0;
  virtual void reset_peak() = 0;
  // Return cached blocks to the system (no-op for non-caching allocators).
  virtual void empty_cache() {}
};

// The CPU allocator hands out 64-byte aligned blocks (one cache line, and the widest
// AVX-512 load), so kernels may use aligned vector loads at the start of a tensor.
constexpr size_t kCpuAlignment = 64;

Allocator& cpu_allocator();
// The allocator for `device`; throws fovea::Error for CUDA in a CPU-only build.
Allocator& allocator_for(Device device);

// Tests turn this on so that every new device or host block is filled with 0xFF bytes
// (NaN in every floating dtype) before it is handed out: an output element that a kernel
// forgets to write then shows up as NaN instead of a plausible stale value.
void set_poison_new_blocks(bool on);
bool poison_new_blocks();

}  // namespace fovea
