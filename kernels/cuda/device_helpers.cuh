#pragma once
// The helpers every CUDA kernel file shares, each written once here:
//   - storage <-> compute conversions: to_float / from_float for the floating storage types,
//     load_compute / store_as for every dtype, param_or for optional operands;
//   - 16-byte packs (Pack, kVec16) and the alignment checks that allow them;
//   - warp and row-group reductions (sums and a NaN-propagating max), and column_total,
//     the in-order second pass of the deterministic two-pass reductions;
//   - launch geometry: blocks_for, grid_stride_blocks, row_launch;
//   - NHWC index decoding, and the cuBLAS data type of a storage type.
// Only included by .cu files (it needs nvcc). Helpers that only one op family needs stay in
// that family's file or header (kernels/cuda/norm_column_sums.cuh, kernels/cuda/loop.cuh).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <library_types.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <type_traits>

namespace fovea::kernels::cuda::detail {

// ---------------------------------------------------------------- storage and compute types
//
// f16 and bf16 are storage formats only. Kernels compute and accumulate in f32: bf16 keeps
// 8 significant bits, so a bf16 running sum stops growing once it is about 256 times its
// terms. Autocast and the CPU reference also compute in f32. The result is rounded once,
// when it is stored, to nearest even as the CPU's conversion does.

template <typename T>
constexpr bool is_half_v = std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>;

// The type a storage type computes in: the 16-bit floats in f32, everything else in itself.
template <typename T>
using compute_t = std::conditional_t<is_half_v<T>, float, T>;

// A floating storage value (float, __half, __nv_bfloat16) as f32.
__device__ __forceinline__ float to_float(float v) {
  return v;
}
__device__ __forceinline__ float to_float(__half v) {
  return __half2float(v);
}
__device__ __forceinline__ float to_float(__nv_bfloat16 v) {
  return __bfloat162float(v);
}

// An f32 value rounded to the floating storage type T (round to nearest even).
template <typename T>
__device__ __forceinline__ T from_float(float v) {
  static_assert(std::is_same_v<T, float> || is_half_v<T>, "from_float: T is float, f16 or bf16");
  if constexpr (std::is_same_v<T, __half>) {
    return __float2half_rn(v);
  } else if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    return __float2bfloat16_rn(v);
  } else {
    return v;
  }
}

// A storage value of any dtype in its compute type (compute_t): the kernels that take
// every dtype (copy, elementwise, reductions) load with this.
template <typename T>
__device__ __forceinline__ compute_t<T> load_compute(T v) {
  if constexpr (is_half_v<T>) {
    return to_float(v);
  } else {
    return v;
  }
}

// A compute value stored as T: the 16-bit floats through f32 (from_float), everything
// else by static_cast.
template <typename T, typename C>
__device__ __forceinline__ T store_as(C v) {
  if constexpr (is_half_v<T>) {
    return from_float<T>(static_cast<float>(v));
  } else {
    return static_cast<T>(v);
  }
}

// Element i of an optional per-element operand (weight, bias, ...) as f32, or `fallback`
// when the operand is absent (null).
template <typename T>
__device__ __forceinline__ float param_or(const T* p, int64_t i, float fallback) {
  return p ? to_float(p[i]) : fallback;
}

// The cuBLAS / cuBLASLt data type of a floating storage type.
template <typename T>
constexpr cudaDataType_t cuda_data_type() {
  static_assert(std::is_same_v<T, float> || is_half_v<T>,
                "cuda_data_type: T is float, f16 or bf16");
  if constexpr (std::is_same_v<T, float>) {
    return CUDA_R_32F;
  } else if constexpr (std::is_same_v<T, __half>) {
    return CUDA_R_16F;
  } else {
    return CUDA_R_16BF;
  }
}

// ---------------------------------------------------------------- 16-byte packs
//
// A memory-bound kernel reaches the DRAM roof with fewer memory instructions when each
// thread moves 16 bytes per access (one 128-bit load or store: 4 f32 or 8 bf16/f16) rather
// than one element; a warp's access is then 512 contiguous bytes. A pack must sit at a
// 16-byte-aligned address, so a launcher takes the packed kernel only when the row length
// is a multiple of the pack and every pointer is aligned (all_aligned16), and otherwise
// launches the same kernel with packs of one element.

// N consecutive elements moved as one access (16 bytes when N = kVec16<T>).
template <typename T, int N>
struct alignas(sizeof(T) * N) Pack {
  T v[N];
};

// Elements per 16-byte pack of the widest of the types. A kernel that reads one type and
// writes another (compare: f32 in, bool out) packs the same count of each.
template <typename... T>
constexpr int kVec16 = 16 / static_cast<int>(std::max({sizeof(T)...}));

// Whether p is a multiple of `bytes` (a power of two). A null pointer counts as aligned,
// so optional operands can be passed as they are.
__host__ __device__ __forceinline__ bool aligned_to(const void* p, size_t bytes) {
  return reinterpret_cast<uintptr_t>(p) % bytes == 0;
}

__host__ __device__ __forceinline__ bool aligned16(const void* p) {
  return aligned_to(p, 16);
}

// Whether every pointer (null ones included, see aligned_to) is 16-byte aligned.
inline bool all_aligned16(std::initializer_list<const void*> pointers) {
  for (const void* p : pointers) {
    if (!aligned16(p)) return false;
  }
  return true;
}

// ---------------------------------------------------------------- reductions
//
// Sums and maxima over a warp or a row group, in f32 (double and int64 for the reductions
// that accumulate in them). The shuffle tree and the order over warps are fixed, so a
// result is the same on every run.

// Sum of v over the 32 lanes of a warp; every lane gets the total.
template <typename A>
__device__ __forceinline__ A warp_sum(A v) {
  for (int offset = 16; offset > 0; offset /= 2) {
    if constexpr (std::is_same_v<A, int64_t>) {
      v += static_cast<int64_t>(__shfl_xor_sync(0xffffffffu, static_cast<long long>(v), offset));
    } else {
      v += __shfl_xor_sync(0xffffffffu, v, offset);
    }
  }
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
// thread gets the total. row_launch gives launches that satisfy this.
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

// Same as row_group_sum with the NaN-propagating max instead of the sum.
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

// The sum over chunks of partial[chunk][col], in chunk order: the second pass of the
// two-pass column reductions (norm statistics, squeeze-excite, window-attention bias
// gradients). Each chunk's block writes its partial and this adds them in a fixed order:
// deterministic, where atomics would add in whatever order the blocks finish.
__device__ __forceinline__ float column_total(const float* partial, int64_t chunks, int64_t cols,
                                              int64_t col) {
  float total = 0.0f;
  for (int64_t chunk = 0; chunk < chunks; ++chunk) total += partial[chunk * cols + col];
  return total;
}

// ---------------------------------------------------------------- launch geometry

// Threads per block of the elementwise-style kernels.
constexpr int kThreads = 256;

// The most blocks a grid-stride kernel is given: a few waves of an H100's 132 SMs (32
// blocks each). More blocks only add scheduling; the grid-stride loop covers the rest.
constexpr int64_t kMaxGridStrideBlocks = 132 * 32;

// Blocks of `threads` for n items, one item per thread.
inline unsigned blocks_for(int64_t n, int threads) {
  return static_cast<unsigned>((n + threads - 1) / threads);
}

// Blocks of `threads` for a grid-stride loop over n items: at least 1, at most
// kMaxGridStrideBlocks.
inline unsigned grid_stride_blocks(int64_t n, int threads = kThreads) {
  return static_cast<unsigned>(
      std::clamp<int64_t>((n + threads - 1) / threads, 1, kMaxGridStrideBlocks));
}

// The launch of a kernel with one row per threadIdx.y group (row_group_sum, row_group_max):
// a warp per row, 4 rows per 128-thread block, up to 1024 columns; beyond that a
// 512-thread block per row. Such a kernel may return early for rows past the end: in warp
// mode row_group_sum has no barrier, and in block mode the grid has exactly `rows` blocks,
// so no block is split across the barriers.
struct RowLaunch {
  dim3 grid, block;
};

inline RowLaunch row_launch(int64_t rows, int64_t cols) {
  if (cols <= 1024) return {dim3(blocks_for(rows, 4)), dim3(32, 4)};
  return {dim3(static_cast<unsigned>(rows)), dim3(512, 1)};
}

// ---------------------------------------------------------------- indexing

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

}  // namespace fovea::kernels::cuda::detail
