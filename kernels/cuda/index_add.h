#pragma once
// CUDA launcher for index_add, the backward of index_select / embedding (kernels/shape.h):
// a deterministic segmented sum, the design and roofline in kernels/cuda/index_add.cu.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "kernels/shape.h"

namespace fovea::kernels::cuda {

// Bytes of device scratch index_add needs for `shape` (the sorted index and CUB's
// temporary storage); computed on the host, launches nothing.
size_t index_add_workspace_bytes(const IndexSelectShape& shape);

// grad_src (f32, [outer, src_size, inner]) = sum over j with index[j] == r of
// grad_out[o, j, i], every element written (0 where no index points). Duplicates add in
// increasing j, one thread per element, so the result is the same bit for bit on every
// run and equals the CPU's f32 sum (kernels::cpu::index_add). T: float, __half,
// __nv_bfloat16. `workspace` holds index_add_workspace_bytes(shape) bytes (checked
// against `workspace_bytes`). Indices are i64, already checked to be in range.
template <typename T>
void index_add(const T* grad_out, const int64_t* index, float* grad_src,
               const IndexSelectShape& shape, void* workspace, size_t workspace_bytes,
               cudaStream_t stream);

}  // namespace fovea::kernels::cuda
