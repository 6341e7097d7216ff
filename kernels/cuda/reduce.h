#pragma once
// CUDA launchers for the reductions of kernels/reduce.h, over a contiguous
// [outer, reduce_len, inner] block: sum and mean, variance, max with its index, and the
// scatter that is max's backward. Floats (float, __half, __nv_bfloat16) accumulate in
// double, int64_t in int64_t, as on the CPU. Each launcher enqueues on `stream` and checks
// the launch.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/reduce.h"

namespace fovea::kernels::cuda {

// Bytes of device scratch reduce() and variance() need for this shape (partial sums when
// the reduced dim is split across blocks; variance also keeps the means). May be 0.
int64_t reduce_workspace_bytes(int64_t outer, int64_t reduce_len, int64_t inner);
int64_t variance_workspace_bytes(int64_t outer, int64_t reduce_len, int64_t inner);

// out[o, i] = sum or mean over r of in[o, r, i]. T: float, __half, __nv_bfloat16,
// int64_t (sum only). `workspace` holds reduce_workspace_bytes(...) bytes, 8-aligned.
template <typename T>
void reduce(ReduceOp op, const T* in, T* out, int64_t outer, int64_t reduce_len, int64_t inner,
            void* workspace, cudaStream_t stream);

// out[o, i] = sum over r of (in[o, r, i] - mean[o, i])^2 / (reduce_len - correction), NaN
// when that is not positive. T: float, __half, __nv_bfloat16.
template <typename T>
void variance(const T* in, T* out, int64_t outer, int64_t reduce_len, int64_t inner,
              int64_t correction, void* workspace, cudaStream_t stream);

// values[o, i] = max over r of in[o, r, i], indices[o, i] = the first r that attains it;
// NaN counts as the maximum. T: float, __half, __nv_bfloat16, int64_t.
template <typename T>
void max_along(const T* in, T* values, int64_t* indices, int64_t outer, int64_t reduce_len,
               int64_t inner, cudaStream_t stream);

// out = 0, then out[o, indices[o, i], i] = values[o, i]. T: float, __half, __nv_bfloat16.
template <typename T>
void scatter_along(const T* values, const int64_t* indices, T* out, int64_t outer,
                   int64_t reduce_len, int64_t inner, cudaStream_t stream);

}  // namespace fovea::kernels::cuda
