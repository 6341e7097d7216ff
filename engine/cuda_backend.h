#pragma once
// What the rest of fovea asks of the CUDA backend, in plain C++: no CUDA header, no
// #ifdef. With the backend built (FOVEA_CUDA=ON) these are defined in engine/cuda/; in a
// CPU-only build engine/without_cuda.cpp defines them, reporting no devices and throwing a
// clear "built without CUDA" error for anything that needs one.
#include <cstddef>

#include <cstdint>

#include "engine/allocator.h"
#include "engine/device.h"

namespace fovea {
class Tensor;
}  // namespace fovea

namespace fovea::cuda {

// True when this build has the CUDA backend compiled in.
bool built();
// Devices the driver shows; 0 without a driver or without the backend.
int device_count();
// The device this thread's CUDA calls go to (cudaGetDevice); ops set their tensors' device
// for the call with a DeviceGuard (engine/cuda/runtime.h) and restore this one after.
int current_device();

// The caching allocator of one device (engine/cuda/allocator.cpp).
Allocator& allocator(int device);

// Page-locked host memory, which the GPU reads without a staging copy.
void* allocate_pinned(size_t bytes);
void free_pinned(void* ptr) noexcept;

// Starts copying a CPU tensor to `device` on that device's copy stream and returns the
// device tensor at once. Work this thread enqueues on the device afterwards runs after the
// copy; the host does not wait. The host tensor stays referenced until the copy is done,
// so a pooled pinned buffer returns to its pool only then (engine/cuda/upload.cpp).
Tensor upload_async(const Tensor& host, Device device);
// Uploads not yet known to be done (their host tensors still referenced).
int64_t uploads_in_flight(Device device);

// A named span on the Nsight Systems timeline (NVTX); nothing without the backend.
void timeline_push(const char* name);
void timeline_pop();

// The profiler's timing marks (engine/profile.h): a CUDA event recorded now on `device`'s
// current stream, named by an index. profile_elapsed_ms waits for the later mark. The
// marks live until profile_release_marks().
int64_t profile_mark(int device);
double profile_elapsed_ms(int64_t from, int64_t to);
void profile_release_marks();

}  // namespace fovea::cuda
