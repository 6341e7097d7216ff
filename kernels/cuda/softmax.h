#pragma once
// CUDA softmax and log-softmax along the middle axis of a contiguous [outer, dim, inner]
// block (kernels::SoftmaxShape; the math is kernels/softmax.h's). T is float, __half
// or __nv_bfloat16; sums accumulate in f32.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "kernels/softmax.h"

namespace fovea::kernels::cuda {

template <typename T>
void softmax_forward(const SoftmaxShape& shape, bool log, const T* x, T* y,
                     cudaStream_t stream);

// softmax: dx = y * (dy - sum(dy * y)); log_softmax: dx = dy - exp(y) * sum(dy).
template <typename T>
void softmax_backward(const SoftmaxShape& shape, bool log, const T* y, const T* dy, T* dx,
                      cudaStream_t stream);

}  // namespace fovea::kernels::cuda
