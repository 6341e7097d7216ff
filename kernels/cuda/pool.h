#pragma once
// CUDA launchers for 2-D pooling over NHWC (the window rules are kernels/pool.h's: the
// host computes PoolWindows and uploads them). Forward kernels give one thread per output
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

// One axis's windows in device memory: output o reads inputs [begin[o], end[o]) and
// divides by divisor[o]; input i is covered by outputs [first[i], last[i]).
struct DeviceWindows {
  const int64_t* begin = nullptr;
  const int64_t* end = nullptr;
  const int64_t* divisor = nullptr;
  const int64_t* first = nullptr;
  const int64_t* last = nullptr;
};

template <typename T>
void max_pool2d_forward(const PoolShape& shape, DeviceWindows rows, DeviceWindows cols, const T* x,
                        T* y, int64_t* indices, cudaStream_t stream);
template <typename T>
void max_pool2d_backward(const PoolShape& shape, DeviceWindows rows, DeviceWindows cols,
                         const T* grad_y, const int64_t* indices, T* grad_x, cudaStream_t stream);
template <typename T>
void avg_pool2d_forward(const PoolShape& shape, DeviceWindows rows, DeviceWindows cols, const T* x,
                        T* y, cudaStream_t stream);
template <typename T>
void avg_pool2d_backward(const PoolShape& shape, DeviceWindows rows, DeviceWindows cols,
                         const T* grad_y, T* grad_x, cudaStream_t stream);

}  // namespace fovea::kernels::cuda
