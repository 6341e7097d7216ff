#pragma once
// Status checks for CUDA runtime, cuBLAS and cuDNN calls, and for kernel launches. A failed
// call throws fovea::Error naming the call and the library's own description; nothing
// prints a message and carries on. Shared by kernels/cuda (launchers) and engine (runtime).
#ifdef FOVEA_HAS_CUDA
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "engine/error.h"

namespace fovea {

inline void cuda_check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    fail("CUDA error in {}: {} ({})", what, cudaGetErrorString(status), cudaGetErrorName(status));
  }
}

inline void cublas_check(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    fail("cuBLAS error in {}: {} ({})", what, cublasGetStatusString(status),
         cublasGetStatusName(status));
  }
}

inline void cudnn_check(cudnnStatus_t status, const char* what) {
  if (status != CUDNN_STATUS_SUCCESS) {
    fail("cuDNN error in {}: {}", what, cudnnGetErrorString(status));
  }
}

// After every kernel launch: catches bad launch configurations at once, and (because
// errors are sticky) asynchronous faults of earlier kernels at the next launch.
inline void check_launch(const char* kernel) { cuda_check(cudaGetLastError(), kernel); }

}  // namespace fovea

#define FOVEA_CUDA_CHECK(call) ::fovea::cuda_check((call), #call)
#define FOVEA_CUBLAS_CHECK(call) ::fovea::cublas_check((call), #call)
#define FOVEA_CUDNN_CHECK(call) ::fovea::cudnn_check((call), #call)
#endif
