#pragma once
// Status checks for CUDA runtime calls: a failed call throws fovea::Error naming the call
// and CUDA's own description, never prints and carries on.
#ifdef FOVEA_HAS_CUDA
#include <cuda_runtime.h>

#include "engine/error.h"

namespace fovea {

inline void cuda_check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    fail("CUDA error in {}: {} ({})", what, cudaGetErrorString(status), cudaGetErrorName(status));
  }
}

}  // namespace fovea

#define FOVEA_CUDA_CHECK(call) ::fovea::cuda_check((call), #call)
#endif
