#pragma once
// The host side of a CUDA op: dtype dispatch to the launchers' template instances and the
// stream work goes to. Only engine/ops/cuda/*.cpp include it (they are compiled only with
// the CUDA backend).
//
// The seam every op follows (docs/architecture.md):
//   engine/ops/<family>.cpp        checks, autocast, output allocation, backward record,
//                                  then one plain switch on the device into
//   engine/ops/cpu/<family>.{h,cpp}   fovea::cpu::<fn>(Tensors...)   and
//   engine/ops/cuda/<family>.{h,cpp}  fovea::cuda::<fn>(Tensors...), same signature; the
//                                  .h is plain C++, the .cpp sets the DeviceGuard, picks
//                                  the instance with visit_cuda_floating, calls the launcher
//   kernels/cuda/<family>.h        launcher declarations (templates on the storage type)
//   kernels/cuda/<family>.cu       roofline comment, kernels, launchers, explicit instances
// A CPU-only build links engine/without_cuda.cpp, whose fovea::cuda functions throw.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "engine/cuda/runtime.h"
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
