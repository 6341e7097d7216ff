#pragma once
// Status checks for CUDA runtime, cuBLAS and cuDNN calls, and for kernel launches. A failed
// call throws fovea::Error naming the call and the library's own description; nothing
// prints a message and carries on. Shared by kernels/cuda (launchers) and engine (runtime).
//
// The checks are defined out of line (engine/cuda/runtime.cpp): nvcc's front end cannot
// compile fmt 9's consteval format-string check, so .cu files must not instantiate
// fail()/FOVEA_CHECK; they report errors through cuda_kernel_error with a plain message.
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <string>

namespace fovea {

void cuda_check(cudaError_t status, const char* what);
void cublas_check(cublasStatus_t status, const char* what);
void cudnn_check(cudnnStatus_t status, const char* what);

// After every kernel launch: catches bad launch configurations at once, and (because
// errors are sticky) asynchronous faults of earlier kernels at the next launch.
void check_launch(const char* kernel);

// Throws fovea::Error with `message` (for .cu files, which cannot use fail()).
[[noreturn]] void cuda_kernel_error(const std::string& message);

}  // namespace fovea

#define FOVEA_CUDA_CHECK(call) ::fovea::cuda_check((call), #call)
#define FOVEA_CUBLAS_CHECK(call) ::fovea::cublas_check((call), #call)
#define FOVEA_CUDNN_CHECK(call) ::fovea::cudnn_check((call), #call)
