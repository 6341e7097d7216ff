#pragma once
// Device helpers shared by the normalisation, softmax, attention and squeeze-excite
// kernels (kernels/cuda/{norm,softmax,loss,attention,squeeze_excite}.cu): conversions of
// the storage types to and from f32, 16-byte packs for vectorised loads, and warp and
// row-group sums. Only included by .cu files.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace fovea::kernels::cuda::detail {

__device__ __forceinline__ float to_float(float v) {
  return v;
}
__device__ __forceinline__ float to_float(__half v) {
  return __half2float(v);
}
__device__ __forceinline__ float to_float(__nv_bfloat16 v) {
  return __bfloat162float(v);
}

template <typename T>
__device__ __forceinline__ T from_float(float v);
template <>
__device__ __forceinline__ float from_float<float>(float v) {
  return v;
}
template <>
__device__ __forceinline__ __half from_float<__half>(float v) {
  return __float2half_rn(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

// N consecutive elements moved as one access: 16 bytes when N = 16 / sizeof(T).
template <typename T, int N>
struct alignas(sizeof(T) * N) Pack {
  T v[N];
};

// Elements per 16-byte access.
template <typename T>
constexpr int kVec16 = 16 / static_cast<int>(sizeof(T));

inline bool aligned16(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % 16 == 0;
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// The maximum that lets a NaN through (a row holding NaN gives NaN, as on the CPU and in
// PyTorch); fmaxf would drop it.
__device__ __forceinline__ float nan_max(float a, float b) {
  return (b > a || b != b) ? b : a;
}

__device__ __forceinline__ float warp_max(float v) {
  for (int offset = 16; offset > 0; offset /= 2) {
    v = nan_max(v, __shfl_xor_sync(0xffffffffu, v, offset));
  }
  return v;
}

// Sum of v over the blockDim.x threads that share threadIdx.y (one row's group): a warp
// (blockDim.x == 32, no shared memory, no barrier) or a whole block row of up to 1024
// threads (blockDim.y must then be 1). `scratch` holds 32 floats per row group. Every
// thread of the block must call it (it contains barriers when blockDim.x > 32); every
// thread gets the total.
__device__ __forceinline__ float row_group_sum(float v, float* scratch) {
  v = warp_sum(v);
  if (blockDim.x == 32) return v;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  __syncthreads();  // a previous call may still be reading scratch
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float total = 0.0f;
  const int warps = static_cast<int>(blockDim.x) / 32;
  for (int w = 0; w < warps; ++w) total += scratch[w];
  return total;
}

// Same as row_group_sum with max instead of sum.
__device__ __forceinline__ float row_group_max(float v, float* scratch) {
  v = warp_max(v);
  if (blockDim.x == 32) return v;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float total = scratch[0];
  const int warps = static_cast<int>(blockDim.x) / 32;
  for (int w = 1; w < warps; ++w) total = nan_max(total, scratch[w]);
  return total;
}

}  // namespace fovea::kernels::cuda::detail
