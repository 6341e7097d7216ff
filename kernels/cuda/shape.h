#pragma once
// CUDA launchers for the indexing shape ops of kernels/shape.h: index_select (and
// embedding; its index_add backward is in kernels/cuda/index_add.h), gather with its
// scatter_add backward, one_hot. The
// forward kernels move raw elements of `elem_size` bytes (any dtype); the backward kernels
// read T (float, __half, __nv_bfloat16) and accumulate into an f32 gradient, which the host
// narrows once, as the CPU does. Indices are i64, already checked to be in range. Each
// launcher enqueues on `stream` and checks the launch.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/shape.h"

namespace fovea::kernels::cuda {

void index_select(const void* src, const int64_t* index, void* out,
                  const IndexSelectShape& shape, int64_t elem_size, cudaStream_t stream);

void gather(const void* src, const int64_t* index, void* out, const GatherShape& shape,
            int64_t elem_size, cudaStream_t stream);

// grad_src (f32, src_shape) = 0, then += grad_out at the gathered positions.
template <typename T>
void scatter_add(const T* grad_out, const int64_t* index, float* grad_src,
                 const GatherShape& shape, cudaStream_t stream);

// out (i64, contiguous [count, num_classes]) = 1 where c == indices[k], else 0, as
// cpu::one_hot.
void one_hot(const int64_t* indices, int64_t count, int64_t num_classes, int64_t* out,
             cudaStream_t stream);

}  // namespace fovea::kernels::cuda
