#pragma once
// What the rest of fovea asks of the CUDA backend, in plain C++: no CUDA header, no
// #ifdef. With the backend built (FOVEA_CUDA=ON) these are defined in engine/cuda/; in a
// CPU-only build engine/without_cuda.cpp defines them, reporting no devices and throwing a
// clear "built without CUDA" error for anything that needs one.
#include <cstddef>

#include "engine/allocator.h"

namespace fovea {
class Tensor;
}  // namespace fovea

namespace fovea::cuda {

// True when this build has the CUDA backend compiled in.
bool built();
// Devices the driver shows; 0 without a driver or without the backend.
int device_count();

// The caching allocator of one device (engine/cuda/allocator.cpp).
Allocator& allocator(int device);

// Page-locked host memory, which the GPU reads without a staging copy.
void* allocate_pinned(size_t bytes);
void free_pinned(void* ptr) noexcept;

// A named span on the Nsight Systems timeline (NVTX); nothing without the backend.
void timeline_push(const char* name);
void timeline_pop();

}  // namespace fovea::cuda
