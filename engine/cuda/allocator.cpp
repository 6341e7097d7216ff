// The caching CUDA allocator.
//
// cudaMalloc and cudaFree synchronise the device and cost tens of microseconds, far more
// than the kernels of a small op, so freed blocks are kept and handed out again. Sizes
// are rounded into bins (multiples of 512 B below 1 MiB, of 2 MiB above) so that a block
// fits many later requests. A free block is reused only by an allocation on the stream it
// was allocated on: work on one stream runs in order, so the kernel that will write the
// reused block cannot start before the kernels that last used it have finished. On
// out-of-memory the cache is returned to the driver and the allocation retried once.
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "engine/allocator.h"
#include "engine/cuda/runtime.h"
#include "engine/cuda_backend.h"

namespace fovea {

namespace {

constexpr size_t kSmallBlock = 512;
constexpr size_t kLargeBlock = 2 << 20;
constexpr size_t kSmallLimit = 1 << 20;

size_t round_to_bin(size_t nbytes) {
  const size_t unit = nbytes < kSmallLimit ? kSmallBlock : kLargeBlock;
  return std::max<size_t>(unit, (nbytes + unit - 1) / unit * unit);
}

class CudaCachingAllocator final : public Allocator {
 public:
  explicit CudaCachingAllocator(int device) : device_(device) {}
  ~CudaCachingAllocator() override = default;  // the driver frees everything at exit

  void* allocate(size_t nbytes) override {
    const size_t size = round_to_bin(nbytes);
    const cudaStream_t stream = cuda::current_stream(device_);
    std::lock_guard<std::mutex> lock(mutex_);
    void* ptr = take_cached(stream, size);
    if (ptr == nullptr) {
      ptr = malloc_with_retry(size, nbytes);
      remember(ptr, size, stream);
    }
    if (poison_new_blocks()) FOVEA_CUDA_CHECK(cudaMemsetAsync(ptr, 0xFF, size, stream));
    return ptr;
  }

  void deallocate(void* ptr, size_t) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = active_.find(ptr);
    if (it == active_.end()) return;  // not ours: nothing sensible to do in a destructor
    const Block block = it->second;
    active_.erase(it);
    bytes_.on_deallocate(block.size);
    cached_bytes_ += block.size;
    free_blocks_.emplace(Key{block.stream, block.size}, ptr);
  }

  AllocatorStats stats() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    AllocatorStats s = bytes_.stats();
    s.cached_bytes = cached_bytes_;
    return s;
  }

  void reset_peak() override { bytes_.reset_peak(); }

  void empty_cache() override {
    std::lock_guard<std::mutex> lock(mutex_);
    release_cache();
  }

 private:
  struct Block {
    size_t size;
    cudaStream_t stream;
  };
  using Key = std::pair<cudaStream_t, size_t>;

  // The smallest cached block on `stream` that holds `size` without wasting more than
  // half of itself.
  void* take_cached(cudaStream_t stream, size_t size) {
    auto it = free_blocks_.lower_bound(Key{stream, size});
    if (it == free_blocks_.end() || it->first.first != stream || it->first.second > 2 * size) {
      return nullptr;
    }
    void* ptr = it->second;
    const size_t block_size = it->first.second;
    free_blocks_.erase(it);
    cached_bytes_ -= block_size;
    remember(ptr, block_size, stream);
    return ptr;
  }

  void remember(void* ptr, size_t size, cudaStream_t stream) {
    active_[ptr] = {size, stream};
    bytes_.on_allocate(size);
  }

  void* malloc_with_retry(size_t size, size_t requested) {
    cuda::DeviceGuard on(device_);
    void* ptr = nullptr;
    if (cudaMalloc(&ptr, size) == cudaSuccess) return ptr;
    cudaGetLastError();  // clear the error before retrying
    release_cache();
    if (cudaMalloc(&ptr, size) == cudaSuccess) return ptr;
    cudaGetLastError();
    size_t free_bytes = 0, total_bytes = 0;
    cudaMemGetInfo(&free_bytes, &total_bytes);
    fail(
        "CUDA out of memory on cuda:{}: asked for {} bytes; {} bytes are in use by tensors, "
        "{} free of {} on the device. Lower the batch size (or use --amp bf16, gradient "
        "checkpointing, or gradient accumulation).",
        device_, requested, bytes_.current(), free_bytes, total_bytes);
  }

  void release_cache() {
    cuda::DeviceGuard on(device_);
    cudaDeviceSynchronize();  // a cached block may still be read by queued kernels
    for (const auto& [key, ptr] : free_blocks_) cudaFree(ptr);
    free_blocks_.clear();
    cached_bytes_ = 0;
  }

  const int device_;
  mutable std::mutex mutex_;
  std::multimap<Key, void*> free_blocks_;
  std::unordered_map<void*, Block> active_;
  size_t cached_bytes_ = 0;
  ByteCounter bytes_;
};

}  // namespace

namespace cuda {

Allocator& allocator(int device) {
  static std::mutex mutex;
  static std::vector<std::unique_ptr<CudaCachingAllocator>> allocators;
  std::lock_guard<std::mutex> lock(mutex);
  const int count = cuda_device_count();
  FOVEA_CHECK(device >= 0 && device < count, "cuda:{} requested, but {} CUDA device(s) are visible",
              device, count);
  if (allocators.empty()) allocators.resize(count);
  if (!allocators[device]) allocators[device] = std::make_unique<CudaCachingAllocator>(device);
  return *allocators[device];
}

void* allocate_pinned(size_t bytes) {
  void* buffer = nullptr;
  FOVEA_CUDA_CHECK(cudaHostAlloc(&buffer, bytes, cudaHostAllocDefault));
  return buffer;
}

void free_pinned(void* ptr) noexcept {
  cudaFreeHost(ptr);  // called from destructors, which cannot throw
}

}  // namespace cuda

}  // namespace fovea
