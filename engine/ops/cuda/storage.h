#pragma once
// Tensor data as CUDA storage types; the dtype dispatch itself is in
// kernels/cuda/storage_types.h.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "engine/tensor.h"
#include "kernels/cuda/storage_types.h"

namespace fovea {

// The data pointer of a CUDA tensor as its device storage type.
template <typename T>
T* cuda_data(const Tensor& tensor) {
  return static_cast<T*>(tensor.raw_data());
}

}  // namespace fovea
