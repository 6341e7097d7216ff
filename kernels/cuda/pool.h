#pragma once
// CUDA launchers for 2-D pooling over NHWC (the window rules are kernels/pool.h's: each
// thread computes its windows from the PoolAxis in closed form, so nothing is uploaded
// per call). Forward kernels give one thread per output
// element; backward kernels one thread per input element, gathering from the outputs
// whose windows cover it, so no atomics are needed and sums run in the CPU's order.
// T: float, __half, __nv_bfloat16 (computed in f32). Each launcher enqueues on `stream`
// and checks the launch.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/pool.h"

namespace fovea::kernels::cuda {

template <typename T>
void max_pool2d_forward(const PoolShape& shape, PoolAxis rows, PoolAxis cols, const T* x, T* y,
                        int64_t* indices, cudaStream_t stream);
template <typename T>
void max_pool2d_backward(const PoolShape& shape, PoolAxis rows, PoolAxis cols, const T* grad_y,
                         const int64_t* indices, T* grad_x, cudaStream_t stream);
template <typename T>
void avg_pool2d_forward(const PoolShape& shape, PoolAxis rows, PoolAxis cols, const T* x, T* y,
                        cudaStream_t stream);
template <typename T>
void avg_pool2d_backward(const PoolShape& shape, PoolAxis rows, PoolAxis cols, const T* grad_y,
                         T* grad_x, cudaStream_t stream);

}  // namespace fovea::kernels::cuda
