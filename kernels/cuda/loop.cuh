#pragma once
// Device side of kernels/loop.h and the storage types: the offset of each operand for a
// linear index of a Loop<N>, conversions between the storage types and the compute type,
// 16-byte packs for vectorised access, and the launch geometry of the elementwise-style
// kernels. Only included by .cu files.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "kernels/loop.h"

namespace fovea::kernels::cuda::detail {

// The type a storage type computes in: the 16-bit floats in f32, everything else in itself.
template <typename T>
struct ComputeOf {
  using type = T;
};
template <>
struct ComputeOf<__half> {
  using type = float;
};
template <>
struct ComputeOf<__nv_bfloat16> {
  using type = float;
};
template <typename T>
using compute_t = typename ComputeOf<T>::type;

// The coordinates of element `k` of a contiguous NHWC tensor [batch, height, width, channels]:
// the decoding every one-thread-per-output image kernel starts with.
struct NhwcIndex {
  int64_t n, h, w, c;
};
__device__ __forceinline__ NhwcIndex nhwc_index(int64_t k, int64_t height, int64_t width,
                                                int64_t channels) {
  const int64_t pixel = k / channels;
  return {pixel / (width * height), (pixel / width) % height, pixel % width, k % channels};
}

template <typename T>
constexpr bool is_half_v = std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>;

__device__ __forceinline__ float load_compute(__half v) {
  return __half2float(v);
}
__device__ __forceinline__ float load_compute(__nv_bfloat16 v) {
  return __bfloat162float(v);
}
template <typename T>
__device__ __forceinline__ T load_compute(T v) {
  return v;
}

template <typename T, typename C>
__device__ __forceinline__ T store_as(C v) {
  if constexpr (std::is_same_v<T, __half>) {
    return __float2half_rn(static_cast<float>(v));
  } else if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    return __float2bfloat16_rn(static_cast<float>(v));
  } else {
    return static_cast<T>(v);
  }
}

// N consecutive elements moved as one access (16 bytes when N * sizeof(T) == 16).
template <typename T, int N>
struct alignas(sizeof(T) * N) Pack {
  T v[N];
};

// Elements per 16-byte access of the wider of two types.
template <typename A, typename B>
constexpr int kVecOf = 16 / static_cast<int>(sizeof(A) > sizeof(B) ? sizeof(A) : sizeof(B));

inline bool aligned_to(const void* p, int64_t bytes) {
  return reinterpret_cast<uintptr_t>(p) % static_cast<uintptr_t>(bytes) == 0;
}

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

constexpr int kThreads = 256;

// Blocks for `work` items of kThreads each, capped so that grid-stride loops cover the
// rest (a few waves of an H100's 132 SMs; more blocks only add scheduling).
inline unsigned int grid_for(int64_t work) {
  const int64_t blocks = (work + kThreads - 1) / kThreads;
  constexpr int64_t kMaxBlocks = 132 * 32;
  return static_cast<unsigned int>(blocks < 1 ? 1 : (blocks > kMaxBlocks ? kMaxBlocks : blocks));
}

}  // namespace fovea::kernels::cuda::detail
