// index_add on CUDA: the backward of index_select / embedding (kernels/cuda/index_add.h).
//
// Math: grad_src[o, r, i] = sum over j with index[j] == r of grad_out[o, j, i], for
// grad_out [outer, L, inner] (L = index_len) and grad_src [outer, R, inner] (R = src_size).
//
// Design: a deterministic segmented reduction, no atomics.
//   1. keys[j] = index[j] (u32), positions[j] = j; CUB's radix sort of the pairs over the
//      ceil(log2 R) low bits. The LSD radix sort is stable (thrust::stable_sort_by_key
//      runs on it for arithmetic keys), so within one key the positions keep increasing
//      order.
//   2. One thread per grad_src element (o, r, i): two binary searches in the sorted keys
//      find the segment of key r, and the thread adds grad_out[o, positions[p], i] over
//      the segment in sorted (= increasing j) order, in f32, and writes the sum (0 for an
//      empty segment, so no memset). Each element has one owner and one fixed order:
//      bit-identical run to run, and equal to the CPU's f32 sum, which also adds
//      duplicates in increasing j.
// The sort is done once per call, shared by all outer * inner columns. The previous
// kernel gave one thread a whole (o, i) column: at Swin-T's relative position bias
// (R = 169, L = 2401, inner = heads = 3..24) that was 3..24 threads walking 2,401 steps.
// Now R * inner = 507..4,056 threads walk about L / R = 14 steps each (49 at most: the
// zero offset repeats once per token of a 7x7 window).
//
// Roofline (H200, 4.8 TB/s): bytes moved = L * 4 * 4 (keys and positions in and out of
// the sort, per pass; one to two 8-bit passes for R <= 65,536) + outer * L * inner *
// sizeof(T) (grad_out read once) + outer * R * inner * 4 (grad_src written once) + the
// binary searches (cached: neighbouring threads share r). Swin-T stage 3 (24 heads):
// 2401 * 24 * 4 = 230 KB read, 16 KB written: well under 1 us of bandwidth, so it is
// latency-bound: about three launches (key prep, the single-tile sort, the sum), about
// 10 us, against the old kernel's 2,401 dependent global adds (tens of us). An embedding
// backward (L = 64 * 197 tokens, inner = 768, bf16) reads 19 MB and is memory-bound at
// about 5 us. Worst case: one key repeated L times serialises that key's columns over L
// steps, as before; index_select's uses (position tables, embeddings) have short segments.
#include "kernels/cuda/index_add.h"

#include <cub/device/device_radix_sort.cuh>

#include <cstdint>
#include <limits>

#include "kernels/cuda/check.h"
#include "kernels/cuda/device_helpers.cuh"

namespace fovea::kernels::cuda {

namespace {

using detail::kThreads;
using detail::load_compute;

constexpr size_t kAlign = 256;

size_t aligned(size_t bytes) {
  return (bytes + kAlign - 1) / kAlign * kAlign;
}

// The workspace: four u32 arrays of L (keys and positions, before and after the sort),
// then CUB's temporary storage.
struct Workspace {
  uint32_t* keys_in = nullptr;
  uint32_t* keys = nullptr;
  uint32_t* positions_in = nullptr;
  uint32_t* positions = nullptr;
  void* sort_storage = nullptr;
  size_t sort_bytes = 0;
  size_t total = 0;
};

// Bits the sort needs for keys in [0, R).
int key_bits(int64_t src_size) {
  int bits = 1;
  while (bits < 32 && (int64_t{1} << bits) < src_size) ++bits;
  return bits;
}

void check_sizes(const IndexSelectShape& s) {
  constexpr int64_t kMax = std::numeric_limits<uint32_t>::max();
  if (s.index_len > kMax || s.src_size > kMax) {
    ::fovea::cuda_kernel_error("index_add: index length and source size must fit 32 bits");
  }
}

Workspace layout(const IndexSelectShape& s, void* base) {
  Workspace w;
  const size_t array = aligned(static_cast<size_t>(s.index_len) * sizeof(uint32_t));
  char* at = static_cast<char*>(base);
  auto take = [&](size_t bytes) {
    char* p = at == nullptr ? nullptr : at + w.total;
    w.total += bytes;
    return p;
  };
  w.keys_in = reinterpret_cast<uint32_t*>(take(array));
  w.keys = reinterpret_cast<uint32_t*>(take(array));
  w.positions_in = reinterpret_cast<uint32_t*>(take(array));
  w.positions = reinterpret_cast<uint32_t*>(take(array));
  const cudaError_t status = cub::DeviceRadixSort::SortPairs(
      nullptr, w.sort_bytes, w.keys_in, w.keys, w.positions_in, w.positions,
      static_cast<int64_t>(s.index_len), 0, key_bits(s.src_size));
  if (status != cudaSuccess) ::fovea::cuda_kernel_error(cudaGetErrorString(status));
  w.sort_storage = take(aligned(w.sort_bytes));
  return w;
}

__global__ void prepare_keys_kernel(const int64_t* __restrict__ index, int64_t len, uint32_t* keys,
                                    uint32_t* positions) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < len;
       j += stride) {
    keys[j] = static_cast<uint32_t>(index[j]);
    positions[j] = static_cast<uint32_t>(j);
  }
}

// The first p in [0, len) with keys[p] >= key (len when none).
__device__ __forceinline__ int64_t lower_bound(const uint32_t* __restrict__ keys, int64_t len,
                                               uint32_t key) {
  int64_t lo = 0, hi = len;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (keys[mid] < key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

template <typename T>
__global__ void segment_sum_kernel(const T* __restrict__ grad_out,
                                   const uint32_t* __restrict__ keys,
                                   const uint32_t* __restrict__ positions, float* grad_src,
                                   IndexSelectShape s) {
  const int64_t total = s.outer * s.src_size * s.inner;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < total;
       k += stride) {
    const int64_t i = k % s.inner;
    const int64_t r = (k / s.inner) % s.src_size;
    const int64_t o = k / (s.inner * s.src_size);
    const int64_t begin = lower_bound(keys, s.index_len, static_cast<uint32_t>(r));
    const int64_t end = r + 1 < s.src_size
                            ? lower_bound(keys, s.index_len, static_cast<uint32_t>(r + 1))
                            : s.index_len;
    const T* column = grad_out + o * s.index_len * s.inner + i;
    float sum = 0.0f;
    for (int64_t p = begin; p < end; ++p) {
      sum += load_compute(column[static_cast<int64_t>(positions[p]) * s.inner]);
    }
    grad_src[k] = sum;
  }
}

}  // namespace

size_t index_add_workspace_bytes(const IndexSelectShape& shape) {
  if (shape.index_len == 0) return 0;
  check_sizes(shape);
  return layout(shape, nullptr).total;
}

template <typename T>
void index_add(const T* grad_out, const int64_t* index, float* grad_src,
               const IndexSelectShape& shape, void* workspace, size_t workspace_bytes,
               cudaStream_t stream) {
  const int64_t total = shape.outer * shape.src_size * shape.inner;
  if (total == 0) return;
  Workspace w;
  if (shape.index_len > 0) {
    check_sizes(shape);
    w = layout(shape, workspace);
    if (workspace == nullptr || workspace_bytes < w.total) {
      ::fovea::cuda_kernel_error("index_add: workspace smaller than index_add_workspace_bytes");
    }
    prepare_keys_kernel<<<detail::grid_stride_blocks(shape.index_len), kThreads, 0, stream>>>(
        index, shape.index_len, w.keys_in, w.positions_in);
    ::fovea::check_launch("prepare_keys_kernel");
    size_t sort_bytes = w.sort_bytes;
    const cudaError_t status = cub::DeviceRadixSort::SortPairs(
        w.sort_storage, sort_bytes, w.keys_in, w.keys, w.positions_in, w.positions,
        static_cast<int64_t>(shape.index_len), 0, key_bits(shape.src_size), stream);
    if (status != cudaSuccess) ::fovea::cuda_kernel_error(cudaGetErrorString(status));
  }
  segment_sum_kernel<T><<<detail::grid_stride_blocks(total), kThreads, 0, stream>>>(
      grad_out, w.keys, w.positions, grad_src, shape);
  ::fovea::check_launch("segment_sum_kernel");
}

template void index_add<float>(const float*, const int64_t*, float*, const IndexSelectShape&, void*,
                               size_t, cudaStream_t);
template void index_add<__half>(const __half*, const int64_t*, float*, const IndexSelectShape&,
                                void*, size_t, cudaStream_t);
template void index_add<__nv_bfloat16>(const __nv_bfloat16*, const int64_t*, float*,
                                       const IndexSelectShape&, void*, size_t, cudaStream_t);

}  // namespace fovea::kernels::cuda
