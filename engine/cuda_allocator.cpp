// The CUDA device allocator. This first version hands cudaMalloc'd blocks straight out
// and keeps byte counts; the caching allocator of the CUDA backend issue replaces it.
#ifdef FOVEA_HAS_CUDA
#include <memory>
#include <mutex>
#include <vector>

#include "engine/allocator.h"
#include "engine/cuda_check.h"

namespace fovea {

namespace {

class CudaDeviceAllocator final : public Allocator {
 public:
  explicit CudaDeviceAllocator(int device) : device_(device) {}

  void* allocate(size_t nbytes) override {
    FOVEA_CUDA_CHECK(cudaSetDevice(device_));
    void* ptr = nullptr;
    const cudaError_t status = cudaMalloc(&ptr, nbytes == 0 ? 1 : nbytes);
    if (status != cudaSuccess) {
      cudaGetLastError();
      fail("CUDA out of memory on cuda:{}: asked for {} bytes with {} bytes in use; lower the "
           "batch size",
           device_, nbytes, bytes_.current());
    }
    bytes_.on_allocate(nbytes);
    return ptr;
  }

  void deallocate(void* ptr, size_t nbytes) override {
    cudaFree(ptr);  // errors here cannot be thrown from a destructor path
    bytes_.on_deallocate(nbytes);
  }

  AllocatorStats stats() const override { return bytes_.stats(); }
  void reset_peak() override { bytes_.reset_peak(); }

 private:
  int device_;
  ByteCounter bytes_;
};

}  // namespace

Allocator& cuda_allocator(int device) {
  static std::mutex mutex;
  static std::vector<std::unique_ptr<CudaDeviceAllocator>> allocators;
  std::lock_guard<std::mutex> lock(mutex);
  const int count = cuda_device_count();
  FOVEA_CHECK(device >= 0 && device < count, "cuda:{} requested, but {} CUDA device(s) are visible",
              device, count);
  if (allocators.empty()) allocators.resize(count);
  if (!allocators[device]) allocators[device] = std::make_unique<CudaDeviceAllocator>(device);
  return *allocators[device];
}

}  // namespace fovea
#endif
