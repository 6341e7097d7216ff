#pragma once
// CUDA launchers for 2-D interpolation of NHWC images (nearest, bilinear, bicubic; the
// per-axis taps are the CPU's, computed on the host by kernels::cpu::interpolate_taps and
// uploaded). T: float, __half, __nv_bfloat16 (computed in f32). Each launcher enqueues on
// `stream` and checks the launch.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/shape.h"

namespace fovea::kernels::cuda {

// Output o along an axis reads index[o * count + k] with weight[o * count + k].
struct DeviceTaps {
  int count = 1;
  const int64_t* index = nullptr;
  const float* weight = nullptr;
};

// The transpose of DeviceTaps: source i is read by entries [offsets[i], offsets[i + 1]),
// each an output index and its weight, in ascending output order.
struct DeviceInverseTaps {
  const int64_t* offsets = nullptr;
  const int64_t* output = nullptr;
  const float* weight = nullptr;
};

template <typename T>
void interpolate(const T* x, T* out, const InterpolateShape& shape, DeviceTaps rows,
                 DeviceTaps cols, cudaStream_t stream);

template <typename T>
void interpolate_backward(const T* grad_out, T* grad_x, const InterpolateShape& shape,
                          DeviceInverseTaps rows, DeviceInverseTaps cols, cudaStream_t stream);

}  // namespace fovea::kernels::cuda
