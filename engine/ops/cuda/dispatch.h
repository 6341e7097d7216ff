#pragma once
// The host side of a CUDA op: dtype dispatch to the launchers' template instances and the
// stream work goes to. Only compiled with the CUDA backend.
//
// The pattern every CUDA op follows (see engine/ops/elementwise.cpp for the CPU half):
//   engine/ops/<family>.cpp   raw compute function: `if (on_cuda(op, {...})) return
//                             <family>_cuda(...);` under #ifdef FOVEA_HAS_CUDA
//   engine/ops/cuda/<family>.cpp   <family>_cuda(): allocates outputs, picks the
//                             instance with visit_cuda_floating, calls the launcher
//   kernels/cuda/<family>.h   launcher declarations (templates on the storage type)
//   kernels/cuda/<family>.cu  roofline comment, kernels, launchers, explicit instances
#ifdef FOVEA_HAS_CUDA
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "engine/cuda_runtime.h"
#include "engine/tensor.h"

namespace fovea {

// visit(T{}) for T = float, __half or __nv_bfloat16: CUDA kernels compute the 16-bit
// floats natively (loading them, accumulating in f32), unlike the CPU reference.
template <typename Visitor>
decltype(auto) visit_cuda_floating(DType dtype, const char* op, Visitor&& visit) {
  switch (dtype) {
    case DType::f32: return visit(float{});
    case DType::f16: return visit(__half{});
    case DType::bf16: return visit(__nv_bfloat16{});
    default:
      fail("{}: CUDA kernels take f32, f16 or bf16 tensors, got {}", op, dtype_name(dtype));
  }
}

// The stream this thread sends `tensor`'s device work to.
inline cudaStream_t stream_for(const Tensor& tensor) {
  return cuda::current_stream(tensor.device().index);
}

}  // namespace fovea
#endif
