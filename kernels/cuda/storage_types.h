#pragma once
// dtype dispatch to the CUDA storage types, for the kernels that take every dtype (copies,
// casts, elementwise, where, compare): f16 and bf16 visit __half and __nv_bfloat16 rather
// than the CPU's storage structs. Free of fmt, so both .cu files and host C++ include it.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "kernels/dtype.h"
#include "kernels/cuda/check.h"

namespace fovea {

// visit(T{}) for every storage dtype.
template <typename Visitor>
decltype(auto) visit_cuda_storage(DType dtype, Visitor&& visit) {
  switch (dtype) {
    case DType::f32:
      return visit(float{});
    case DType::f16:
      return visit(__half{});
    case DType::bf16:
      return visit(__nv_bfloat16{});
    case DType::f64:
      return visit(double{});
    case DType::i32:
      return visit(int32_t{});
    case DType::i64:
      return visit(int64_t{});
    case DType::u8:
      return visit(uint8_t{});
    case DType::boolean:
      return visit(bool{});
  }
  cuda_kernel_error("visit_cuda_storage: unknown dtype");
}

}  // namespace fovea
