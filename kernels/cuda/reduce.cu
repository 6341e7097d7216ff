// CUDA reductions over a contiguous [outer, reduce_len, inner] block (kernels/cuda/reduce.h).
//
// Math: sum_r x[o, r, i] (sum), / reduce_len (mean), two-pass variance
// sum_r (x - mean)^2 / (reduce_len - correction), and max/argmax along r with the CPU's
// rules (first maximum wins; the first NaN wins over everything).
//
// Design. Floats accumulate in double (the CPU reference does too; H100's FP64 rate is
// far above what a memory-bound reduction needs), so results agree with the CPU to f32
// rounding whatever the summation order.
//   - inner == 1 (reducing the last dims: row sums, loss.mean(), argmax over classes):
//     one warp per row, lanes striding the row (coalesced), a shuffle reduction, no shared
//     memory.
//   - inner > 1 (reducing a leading or middle dim: bias gradients [N*H*W, C] -> [C],
//     sum_to of broadcasts): blocks of 32 x 8 threads; the 32 lanes of a warp read 32
//     consecutive columns of one row (coalesced), the 8 warps take every 8th row, and
//     shared memory (8 x 32 doubles, every slot written before the barrier) sums the
//     warps.
//   - When the outputs alone give too few warps to fill the GPU (a full-tensor sum; a
//     bias gradient with 96 columns), the reduced dim is split into segments along
//     gridDim.y; each writes a double partial to the workspace and a finishing kernel adds
//     the segments in order (deterministic: no atomics anywhere).
// max_along: a warp per row for inner == 1 (shuffle reduction of (value, index) pairs),
// otherwise a thread per output scanning its column in order, as the CPU does.
//
// Roofline (H100, 3.0 TB/s): the bias gradient of ConvNeXt-T stage 1 reads a
// 64 x 56 x 56 x 96 bf16 tensor (38.5 MB) and writes 96 values: 13 us floor. mean over
// the spatial dims of [64, 7, 7, 768] f32 (the classifier pool) reads 9.6 MB: 3.2 us,
// latency-bound in practice. FLOPs: one add per element, negligible.
#include "kernels/cuda/reduce.h"

#include <cstdint>
#include <type_traits>

#include "kernels/cuda/check.h"
#include "kernels/cuda/device_helpers.cuh"

namespace fovea::kernels::cuda {

namespace {

using detail::load_compute;
using detail::store_as;
using detail::warp_sum;

template <typename T>
using accum_t = std::conditional_t<std::is_same_v<T, int64_t>, int64_t, double>;

constexpr int kWarp = 32;
constexpr int kRowsPerBlock = 8;  // warps per block in the row kernels
constexpr int kColumnRows = 8;    // blockDim.y of the column kernel
constexpr int64_t kTargetWarps = 132 * 64;

// How the reduced dim is split across blocks (gridDim.y segments of seg_len rows).
struct Split {
  int64_t segments = 1;
  int64_t seg_len = 0;
};

Split split_for(int64_t outer, int64_t reduce_len, int64_t inner) {
  const int64_t warps = inner == 1 ? outer : outer * ((inner + kWarp - 1) / kWarp) * kColumnRows;
  Split split;
  split.seg_len = reduce_len;
  if (warps >= kTargetWarps || reduce_len <= 2048) return split;
  int64_t segments = (kTargetWarps + warps - 1) / warps;
  const int64_t most = (reduce_len + 1023) / 1024;  // keep >= 1024 rows per segment
  if (segments > most) segments = most;
  if (segments > 65535) segments = 65535;
  split.seg_len = (reduce_len + segments - 1) / segments;
  split.segments = (reduce_len + split.seg_len - 1) / split.seg_len;
  return split;
}

// What is summed: the element itself, or its squared distance to a per-output mean.
struct Identity {
  template <typename A>
  __device__ __forceinline__ A operator()(A v, int64_t) const {
    return v;
  }
};
struct SquaredDeviation {
  const double* mean;
  __device__ __forceinline__ double operator()(double v, int64_t k) const {
    const double d = v - mean[k];
    return d * d;
  }
};

// sum / denominator, NaN when the denominator is not positive (mean of nothing, variance
// with too few elements); integer sums pass through.
template <typename Out, typename A>
__device__ __forceinline__ Out finish(A total, double denominator) {
  if constexpr (std::is_same_v<A, int64_t>) {
    return static_cast<Out>(total);
  } else {
    const double value =
        denominator > 0.0 ? total / denominator : __longlong_as_double(0x7ff8000000000000LL);
    return store_as<Out>(value);
  }
}

// Stores one output's sum: finished into `out` when there is one segment, else as a
// partial into partials[segment, k].
template <typename T, typename Out, typename A>
__device__ __forceinline__ void store_sum(A total, int64_t k, int64_t count, Out* out, A* partials,
                                          double denominator) {
  if (gridDim.y == 1) {
    out[k] = finish<Out>(total, denominator);
  } else {
    partials[static_cast<int64_t>(blockIdx.y) * count + k] = total;
  }
}

// inner == 1: a warp per row, rows in a grid-stride loop; blockIdx.y = segment.
template <typename T, typename Out, typename Map>
__global__ void reduce_rows_kernel(const T* __restrict__ in, Out* out, accum_t<T>* partials,
                                   int64_t rows, int64_t reduce_len, int64_t seg_len,
                                   double denominator, Map map) {
  using A = accum_t<T>;
  const int lane = threadIdx.x % kWarp;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * kRowsPerBlock;
  const int64_t begin = static_cast<int64_t>(blockIdx.y) * seg_len;
  const int64_t end = begin + seg_len < reduce_len ? begin + seg_len : reduce_len;
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp;
       row < rows; row += warps) {
    const T* x = in + row * reduce_len;
    A total = A(0);
    for (int64_t r = begin + lane; r < end; r += kWarp) {
      total += map(static_cast<A>(load_compute(x[r])), row);
    }
    total = warp_sum(total);
    if (lane == 0) store_sum<T>(total, row, rows, out, partials, denominator);
  }
}

// inner > 1: block (32, kColumnRows) sums 32 columns of one outer index over a segment.
template <typename T, typename Out, typename Map>
__global__ void reduce_columns_kernel(const T* __restrict__ in, Out* out, accum_t<T>* partials,
                                      int64_t outer, int64_t reduce_len, int64_t inner,
                                      int64_t seg_len, double denominator, Map map) {
  using A = accum_t<T>;
  __shared__ A sums[kColumnRows][kWarp];
  const int64_t tiles = (inner + kWarp - 1) / kWarp;
  const int64_t begin = static_cast<int64_t>(blockIdx.y) * seg_len;
  const int64_t end = begin + seg_len < reduce_len ? begin + seg_len : reduce_len;
  for (int64_t item = blockIdx.x; item < outer * tiles; item += gridDim.x) {
    const int64_t o = item / tiles;
    const int64_t i = (item % tiles) * kWarp + threadIdx.x;
    A total = A(0);
    if (i < inner) {
      const int64_t k = o * inner + i;
      const T* column = in + o * reduce_len * inner + i;
      for (int64_t r = begin + threadIdx.y; r < end; r += kColumnRows) {
        total += map(static_cast<A>(load_compute(column[r * inner])), k);
      }
    }
    sums[threadIdx.y][threadIdx.x] = total;
    __syncthreads();
    if (threadIdx.y == 0 && i < inner) {
      A column_total = A(0);
      for (int y = 0; y < kColumnRows; ++y) column_total += sums[y][threadIdx.x];
      store_sum<T>(column_total, o * inner + i, outer * inner, out, partials, denominator);
    }
    __syncthreads();  // sums is rewritten by the next item
  }
}

// Adds the segments' partials in order and finishes.
template <typename Out, typename A>
__global__ void finish_segments_kernel(const A* partials, Out* out, int64_t count, int64_t segments,
                                       double denominator) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < count;
       k += stride) {
    A total = A(0);
    for (int64_t s = 0; s < segments; ++s) total += partials[s * count + k];
    out[k] = finish<Out>(total, denominator);
  }
}

template <typename T, typename Out, typename Map>
void launch_sum(const T* in, Out* out, int64_t outer, int64_t reduce_len, int64_t inner,
                double denominator, Map map, void* workspace, cudaStream_t stream) {
  using A = accum_t<T>;
  const int64_t count = outer * inner;
  if (count == 0) return;
  const Split split = split_for(outer, reduce_len, inner);
  A* partials = static_cast<A*>(workspace);
  const unsigned int segments = static_cast<unsigned int>(split.segments);
  constexpr int64_t kMaxBlocks = 132 * 64;
  if (inner == 1) {
    int64_t blocks = (outer + kRowsPerBlock - 1) / kRowsPerBlock;
    if (blocks > kMaxBlocks) blocks = kMaxBlocks;
    const dim3 grid(static_cast<unsigned int>(blocks), segments);
    reduce_rows_kernel<T, Out, Map><<<grid, kRowsPerBlock * kWarp, 0, stream>>>(
        in, out, partials, outer, reduce_len, split.seg_len, denominator, map);
    ::fovea::check_launch("reduce_rows_kernel");
  } else {
    int64_t blocks = outer * ((inner + kWarp - 1) / kWarp);
    if (blocks > kMaxBlocks) blocks = kMaxBlocks;
    const dim3 grid(static_cast<unsigned int>(blocks), segments);
    reduce_columns_kernel<T, Out, Map><<<grid, dim3(kWarp, kColumnRows), 0, stream>>>(
        in, out, partials, outer, reduce_len, inner, split.seg_len, denominator, map);
    ::fovea::check_launch("reduce_columns_kernel");
  }
  if (split.segments > 1) {
    finish_segments_kernel<Out, A>
        <<<detail::grid_stride_blocks(count), detail::kThreads, 0, stream>>>(
            partials, out, count, split.segments, denominator);
    ::fovea::check_launch("finish_segments_kernel");
  }
}

// ---------------------------------------------------------------- max

template <typename T>
__device__ __forceinline__ bool is_nan_value(T v) {
  if constexpr (std::is_same_v<T, int64_t>) {
    return false;
  } else {
    const float f = load_compute(v);
    return f != f;
  }
}

// Whether candidate (v, r) beats the current best (best, best_r): the CPU's sequential
// rule (first NaN wins, then strictly greater, then the first index) made symmetric so that
// partial results can be merged in any order.
template <typename T>
__device__ __forceinline__ bool beats(T v, int64_t r, T best, int64_t best_r) {
  const bool v_nan = is_nan_value(v), best_nan = is_nan_value(best);
  if (v_nan || best_nan) return v_nan && (!best_nan || r < best_r);
  const auto a = load_compute(v), b = load_compute(best);
  return a > b || (a == b && r < best_r);
}

template <typename T>
__global__ void max_rows_kernel(const T* __restrict__ in, T* values, int64_t* indices, int64_t rows,
                                int64_t reduce_len) {
  const int lane = threadIdx.x % kWarp;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * kRowsPerBlock;
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp;
       row < rows; row += warps) {
    const T* x = in + row * reduce_len;
    // reduce_len >= 1 (the op refuses empty tensors): lane 0 always holds a real element.
    T best = x[0];
    int64_t best_r = reduce_len;  // lanes without an element lose every comparison
    if (lane < reduce_len) {
      best = x[lane];
      best_r = lane;
    }
    for (int64_t r = lane + kWarp; r < reduce_len; r += kWarp) {
      if (beats(x[r], r, best, best_r)) {
        best = x[r];
        best_r = r;
      }
    }
    for (int offset = kWarp / 2; offset > 0; offset /= 2) {
      const T other = __shfl_xor_sync(0xffffffffu, best, offset);
      const int64_t other_r = static_cast<int64_t>(
          __shfl_xor_sync(0xffffffffu, static_cast<long long>(best_r), offset));
      if (beats(other, other_r, best, best_r)) {
        best = other;
        best_r = other_r;
      }
    }
    if (lane == 0) {
      values[row] = best;
      indices[row] = best_r;
    }
  }
}

template <typename T>
__global__ void max_columns_kernel(const T* __restrict__ in, T* values, int64_t* indices,
                                   int64_t outer, int64_t reduce_len, int64_t inner) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < outer * inner;
       k += stride) {
    const int64_t o = k / inner, i = k % inner;
    const T* column = in + o * reduce_len * inner + i;
    T best = column[0];
    int64_t best_r = 0;
    for (int64_t r = 1; r < reduce_len; ++r) {
      if (beats(column[r * inner], r, best, best_r)) {
        best = column[r * inner];
        best_r = r;
      }
    }
    values[k] = best;
    indices[k] = best_r;
  }
}

template <typename T>
__global__ void scatter_along_kernel(const T* values, const int64_t* indices, T* out, int64_t outer,
                                     int64_t reduce_len, int64_t inner) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < outer * inner;
       k += stride) {
    const int64_t o = k / inner, i = k % inner;
    const int64_t r = indices[k];
    if (r >= 0 && r < reduce_len) out[(o * reduce_len + r) * inner + i] = values[k];
  }
}

}  // namespace

int64_t reduce_workspace_bytes(int64_t outer, int64_t reduce_len, int64_t inner) {
  const Split split = split_for(outer, reduce_len, inner);
  return split.segments > 1 ? split.segments * outer * inner * 8 : 0;
}

int64_t variance_workspace_bytes(int64_t outer, int64_t reduce_len, int64_t inner) {
  return outer * inner * 8 + reduce_workspace_bytes(outer, reduce_len, inner);
}

template <typename T>
void reduce(ReduceOp op, const T* in, T* out, int64_t outer, int64_t reduce_len, int64_t inner,
            void* workspace, cudaStream_t stream) {
  const double denominator = op == ReduceOp::mean ? static_cast<double>(reduce_len) : 1.0;
  launch_sum(in, out, outer, reduce_len, inner, denominator, Identity{}, workspace, stream);
}

template <typename T>
void variance(const T* in, T* out, int64_t outer, int64_t reduce_len, int64_t inner,
              int64_t correction, void* workspace, cudaStream_t stream) {
  double* mean = static_cast<double*>(workspace);
  void* partials = mean + outer * inner;
  launch_sum(in, mean, outer, reduce_len, inner, static_cast<double>(reduce_len), Identity{},
             partials, stream);
  launch_sum(in, out, outer, reduce_len, inner, static_cast<double>(reduce_len - correction),
             SquaredDeviation{mean}, partials, stream);
}

template <typename T>
void max_along(const T* in, T* values, int64_t* indices, int64_t outer, int64_t reduce_len,
               int64_t inner, cudaStream_t stream) {
  if (outer * inner == 0 || reduce_len == 0) return;
  if (inner == 1) {
    int64_t blocks = (outer + kRowsPerBlock - 1) / kRowsPerBlock;
    if (blocks > 132 * 64) blocks = 132 * 64;
    max_rows_kernel<T><<<static_cast<unsigned int>(blocks), kRowsPerBlock * kWarp, 0, stream>>>(
        in, values, indices, outer, reduce_len);
    ::fovea::check_launch("max_rows_kernel");
  } else {
    max_columns_kernel<T>
        <<<detail::grid_stride_blocks(outer * inner), detail::kThreads, 0, stream>>>(
            in, values, indices, outer, reduce_len, inner);
    ::fovea::check_launch("max_columns_kernel");
  }
}

template <typename T>
void scatter_along(const T* values, const int64_t* indices, T* out, int64_t outer,
                   int64_t reduce_len, int64_t inner, cudaStream_t stream) {
  const int64_t total = outer * reduce_len * inner;
  if (total == 0) return;
  const cudaError_t status =
      cudaMemsetAsync(out, 0, static_cast<size_t>(total) * sizeof(T), stream);
  if (status != cudaSuccess) ::fovea::cuda_kernel_error(cudaGetErrorString(status));
  scatter_along_kernel<T>
      <<<detail::grid_stride_blocks(outer * inner), detail::kThreads, 0, stream>>>(
          values, indices, out, outer, reduce_len, inner);
  ::fovea::check_launch("scatter_along_kernel");
}

template void reduce<float>(ReduceOp, const float*, float*, int64_t, int64_t, int64_t, void*,
                            cudaStream_t);
template void reduce<__half>(ReduceOp, const __half*, __half*, int64_t, int64_t, int64_t,
                             void*, cudaStream_t);
template void reduce<__nv_bfloat16>(ReduceOp, const __nv_bfloat16*, __nv_bfloat16*, int64_t,
                                    int64_t, int64_t, void*, cudaStream_t);
template void reduce<int64_t>(ReduceOp, const int64_t*, int64_t*, int64_t, int64_t, int64_t,
                              void*, cudaStream_t);
template void variance<float>(const float*, float*, int64_t, int64_t, int64_t, int64_t, void*,
                              cudaStream_t);
template void variance<__half>(const __half*, __half*, int64_t, int64_t, int64_t, int64_t, void*,
                               cudaStream_t);
template void variance<__nv_bfloat16>(const __nv_bfloat16*, __nv_bfloat16*, int64_t, int64_t,
                                      int64_t, int64_t, void*, cudaStream_t);
template void max_along<float>(const float*, float*, int64_t*, int64_t, int64_t, int64_t,
                               cudaStream_t);
template void max_along<__half>(const __half*, __half*, int64_t*, int64_t, int64_t, int64_t,
                                cudaStream_t);
template void max_along<__nv_bfloat16>(const __nv_bfloat16*, __nv_bfloat16*, int64_t*, int64_t,
                                       int64_t, int64_t, cudaStream_t);
template void max_along<int64_t>(const int64_t*, int64_t*, int64_t*, int64_t, int64_t, int64_t,
                                 cudaStream_t);
template void scatter_along<float>(const float*, const int64_t*, float*, int64_t, int64_t, int64_t,
                                   cudaStream_t);
template void scatter_along<__half>(const __half*, const int64_t*, __half*, int64_t, int64_t,
                                    int64_t, cudaStream_t);
template void scatter_along<__nv_bfloat16>(const __nv_bfloat16*, const int64_t*, __nv_bfloat16*,
                                           int64_t, int64_t, int64_t, cudaStream_t);

}  // namespace fovea::kernels::cuda
