#pragma once
// CUDA kernels of squeeze-and-excitation over NHWC: x is a contiguous [batch, spatial,
// channels] block (spatial = H * W), the per-(sample, channel) vectors are [batch,
// channels]. T is float, __half or __nv_bfloat16; sums accumulate in f32.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/squeeze_excite.h"

namespace fovea::kernels::cuda {

using kernels::SpatialShape;  // kernels/squeeze_excite.h, shared with the CPU

// f32 scratch spatial_sum needs.
int64_t spatial_sum_workspace(SpatialShape shape);

// out[n, c] = scale * sum over s of a[n, s, c] (times b[n, s, c] when b is not null).
// The squeeze (global average pool) is scale = 1 / spatial with no b; the gradient of
// the channel-scale's per-channel factor is b = x, a = dy, scale = 1.
template <typename T>
void spatial_sum(const T* a, const T* b, double scale, T* out, float* workspace, SpatialShape shape,
                 cudaStream_t stream);

// out[n, s, c] = scale * s_vec[n, c] (times x[n, s, c] when x is not null). The channel
// scale (excite) and its input gradient are x * s; the squeeze's gradient is the upstream
// [batch, channels] gradient broadcast with scale = 1 / spatial and no x.
template <typename T>
void channel_broadcast(const T* x, const T* s_vec, double scale, T* out, SpatialShape shape,
                       cudaStream_t stream);

}  // namespace fovea::kernels::cuda
