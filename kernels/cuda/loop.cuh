#pragma once
// Device side of kernels/loop.h: the offset of each operand for a linear index of a
// Loop<N>, its element count, and whether it is the all-contiguous case the vectorised
// kernels take. Conversions, packs and launch geometry are in kernels/cuda/device_helpers.cuh.
// Only included by .cu files.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/loop.h"

namespace fovea::kernels::cuda::detail {

// The element offsets of every operand of `loop` at linear index `linear` (row-major over
// loop.sizes). 64-bit throughout: a tensor may pass 2^31 elements.
template <int N>
__device__ __forceinline__ void loop_offsets(const Loop<N>& loop, int64_t linear,
                                             int64_t (&offsets)[N]) {
#pragma unroll
  for (int op = 0; op < N; ++op) offsets[op] = 0;
  for (int d = loop.ndim - 1; d >= 0; --d) {
    const int64_t size = loop.sizes[d];
    const int64_t index = linear % size;
    linear /= size;
#pragma unroll
    for (int op = 0; op < N; ++op) offsets[op] += index * loop.strides[op][d];
  }
}

template <int N>
inline int64_t loop_numel(const Loop<N>& loop) {
  int64_t n = 1;
  for (int d = 0; d < loop.ndim; ++d) n *= loop.sizes[d];
  return n;
}

// True when the loop is one dim in which every operand is contiguous: the same-shape,
// all-contiguous case that the vectorised kernels take.
template <int N>
inline bool loop_is_contiguous(const Loop<N>& loop) {
  if (loop.ndim != 1) return false;
  for (int op = 0; op < N; ++op) {
    if (loop.strides[op][0] != 1) return false;
  }
  return true;
}

}  // namespace fovea::kernels::cuda::detail
