// CUDA squeeze-and-excitation kernels over NHWC (kernels/cuda/squeeze_excite.h).
//
// Math: squeeze s[n, c] = mean over (h, w) of x[n, h, w, c]; excite y = x * gate[n, c].
// Backward: d x (squeeze) = g[n, c] / (H W) broadcast; d x (excite) = dy * gate[n, c];
// d gate[n, c] = sum over (h, w) of dy * x.
//
// Design. Both kernels read NHWC rows of C contiguous channels, so a thread owns a 16-byte
// pack of channels (8 bf16/f16, 4 f32; scalar when C is not a multiple of the pack or a
// pointer is misaligned) and a warp covers 32 packs of one spatial row: every access is
// a coalesced 16-byte one.
// - spatial_sum: a 32 x 8 block takes 32 packs of channels of one sample and a chunk of
//   the spatial positions; 8 row lanes accumulate in f32 registers, shared memory folds
//   them, and each block writes f32 partials [chunk, n, c]; a second kernel adds the
//   chunks in order (deterministic, no atomics) and scales. The spatial chunks exist so
//   that a small batch of wide maps still fills the GPU.
// - channel_broadcast: a grid-stride elementwise loop; the [n, c] vector is re-read per
//   element from L1/L2 (it is batch * C elements, kilobytes).
//
// Roofline (H100, 3.0 TB/s, bf16), EfficientNet-B0's widest SE input, x [64, 112, 112,
// 96] (stage 2 expansion, 154 MB): squeeze reads 154 MB, floor 51 us; excite reads and
// writes it, 308 MB, floor 103 us; backward: excite reads dy and x and writes dx (462 MB,
// 154 us) with the gate gradient a second read of dy and x unless fused (not done: it
// would need a second output per element pass; 308 MB more). SE-ResNeXt-50's stage 1,
// x [64, 56, 56, 256]: 103 MB per pass.
#include "kernels/cuda/squeeze_excite.h"

#include <algorithm>

#include "kernels/cuda/check.h"
#include "kernels/cuda/device_helpers.cuh"

namespace fovea::kernels::cuda {

using detail::aligned16;
using detail::blocks_for;
using detail::column_total;
using detail::from_float;
using detail::grid_stride_blocks;
using detail::kVec16;
using detail::Pack;
using detail::to_float;

namespace {

constexpr int kPackLanes = 32;  // packs of channels per block (threadIdx.x)
constexpr int kRowLanes = 8;    // spatial row lanes per block (threadIdx.y)
constexpr int64_t kMaxBlocks = 132 * 16;

struct SpatialChunks {
  int64_t chunks = 1;
  int64_t per_chunk = 0;
};

// Enough spatial chunks that the grid has about kMaxBlocks blocks, each at least 32 rows.
// The count does not depend on the pack width, so the workspace size does not either.
SpatialChunks spatial_chunks(SpatialShape shape) {
  const int64_t channel_tiles = (shape.channels + kPackLanes - 1) / kPackLanes;
  const int64_t others = std::max<int64_t>(1, shape.batch * channel_tiles);
  SpatialChunks c;
  c.chunks = std::clamp<int64_t>(std::min<int64_t>(kMaxBlocks / others, (shape.spatial + 31) / 32),
                                 1, 65535);
  c.per_chunk = (shape.spatial + c.chunks - 1) / c.chunks;
  if (c.per_chunk > 0) c.chunks = (shape.spatial + c.per_chunk - 1) / c.per_chunk;
  return c;
}

template <typename T, int V>
__global__ void spatial_sum_partial_kernel(const T* a, const T* b, SpatialShape shape,
                                           int64_t per_chunk, float* partial) {
  __shared__ float lanes[kRowLanes][kPackLanes * V + 1];
  const int64_t c0 = (static_cast<int64_t>(blockIdx.x) * kPackLanes + threadIdx.x) * V;
  const int64_t n = blockIdx.y, chunk = blockIdx.z;
  const int64_t s_begin = chunk * per_chunk;
  const int64_t s_end = min(shape.spatial, s_begin + per_chunk);
  float acc[V];
#pragma unroll
  for (int k = 0; k < V; ++k) acc[k] = 0.0f;
  if (c0 < shape.channels) {
    for (int64_t s = s_begin + threadIdx.y; s < s_end; s += kRowLanes) {
      const int64_t e = (n * shape.spatial + s) * shape.channels + c0;
      const Pack<T, V> av = *reinterpret_cast<const Pack<T, V>*>(a + e);
      if (b) {
        const Pack<T, V> bv = *reinterpret_cast<const Pack<T, V>*>(b + e);
#pragma unroll
        for (int k = 0; k < V; ++k) acc[k] += to_float(av.v[k]) * to_float(bv.v[k]);
      } else {
#pragma unroll
        for (int k = 0; k < V; ++k) acc[k] += to_float(av.v[k]);
      }
    }
  }
#pragma unroll
  for (int k = 0; k < V; ++k) lanes[threadIdx.y][threadIdx.x * V + k] = acc[k];
  __syncthreads();
  if (threadIdx.y == 0 && c0 < shape.channels) {
#pragma unroll
    for (int k = 0; k < V; ++k) {
      float total = 0.0f;
      for (int i = 0; i < kRowLanes; ++i) total += lanes[i][threadIdx.x * V + k];
      partial[(chunk * shape.batch + n) * shape.channels + c0 + k] = total;
    }
  }
}

template <typename T>
__global__ void spatial_sum_finalize_kernel(const float* partial, int64_t chunks, int64_t count,
                                            float scale, T* out) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= count) return;
  out[i] = from_float<T>(column_total(partial, chunks, count, i) * scale);
}

// Packs of V never straddle a spatial row: V divides channels (checked by the launcher).
template <typename T, int V>
__global__ void channel_broadcast_kernel(const T* x, const T* s_vec, float scale, T* out,
                                         SpatialShape shape, int64_t packs) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t row_packs = shape.channels / V;
  for (int64_t p = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; p < packs;
       p += stride) {
    const int64_t row = p / row_packs;  // n * spatial + s
    const int64_t c0 = (p % row_packs) * V;
    const T* sv = s_vec + (row / shape.spatial) * shape.channels + c0;
    Pack<T, V> xv;
    if (x) xv = reinterpret_cast<const Pack<T, V>*>(x)[p];
    Pack<T, V> result;
#pragma unroll
    for (int k = 0; k < V; ++k) {
      const float factor = to_float(sv[k]) * scale;
      result.v[k] = from_float<T>(x ? to_float(xv.v[k]) * factor : factor);
    }
    reinterpret_cast<Pack<T, V>*>(out)[p] = result;
  }
}

}  // namespace

int64_t spatial_sum_workspace(SpatialShape shape) {
  return spatial_chunks(shape).chunks * shape.batch * shape.channels;
}

template <typename T>
void spatial_sum(const T* a, const T* b, double scale, T* out, float* workspace, SpatialShape shape,
                 cudaStream_t stream) {
  const int64_t count = shape.batch * shape.channels;
  if (count == 0) return;
  if (shape.batch > 65535) ::fovea::cuda_kernel_error("spatial_sum: batch above 65535 (grid.y limit)");
  constexpr int V = kVec16<T>;
  const bool vectorised = shape.channels % V == 0 && aligned16(a) && (b == nullptr || aligned16(b));
  const int vec = vectorised ? V : 1;
  const SpatialChunks c = spatial_chunks(shape);
  const dim3 grid(static_cast<unsigned>((shape.channels + int64_t{kPackLanes} * vec - 1) /
                                        (int64_t{kPackLanes} * vec)),
                  static_cast<unsigned>(shape.batch), static_cast<unsigned>(c.chunks));
  if (vectorised) {
    spatial_sum_partial_kernel<T, V>
        <<<grid, dim3(kPackLanes, kRowLanes), 0, stream>>>(a, b, shape, c.per_chunk, workspace);
  } else {
    spatial_sum_partial_kernel<T, 1>
        <<<grid, dim3(kPackLanes, kRowLanes), 0, stream>>>(a, b, shape, c.per_chunk, workspace);
  }
  ::fovea::check_launch("spatial_sum_partial_kernel");
  spatial_sum_finalize_kernel<T><<<blocks_for(count, 256), 256, 0, stream>>>(
      workspace, c.chunks, count, static_cast<float>(scale), out);
  ::fovea::check_launch("spatial_sum_finalize_kernel");
}

template <typename T>
void channel_broadcast(const T* x, const T* s_vec, double scale, T* out, SpatialShape shape,
                       cudaStream_t stream) {
  const int64_t n = shape.batch * shape.spatial * shape.channels;
  if (n == 0) return;
  constexpr int V = kVec16<T>;
  const float factor = static_cast<float>(scale);
  if (shape.channels % V == 0 && (x == nullptr || aligned16(x)) && aligned16(out)) {
    channel_broadcast_kernel<T, V>
        <<<grid_stride_blocks(n / V, 256), 256, 0, stream>>>(x, s_vec, factor, out, shape, n / V);
  } else {
    channel_broadcast_kernel<T, 1>
        <<<grid_stride_blocks(n, 256), 256, 0, stream>>>(x, s_vec, factor, out, shape, n);
  }
  ::fovea::check_launch("channel_broadcast_kernel");
}

template void spatial_sum<float>(const float*, const float*, double, float*, float*, SpatialShape,
                                 cudaStream_t);
template void spatial_sum<__half>(const __half*, const __half*, double, __half*, float*,
                                  SpatialShape, cudaStream_t);
template void spatial_sum<__nv_bfloat16>(const __nv_bfloat16*, const __nv_bfloat16*, double,
                                         __nv_bfloat16*, float*, SpatialShape, cudaStream_t);
template void channel_broadcast<float>(const float*, const float*, double, float*, SpatialShape,
                                       cudaStream_t);
template void channel_broadcast<__half>(const __half*, const __half*, double, __half*, SpatialShape,
                                        cudaStream_t);
template void channel_broadcast<__nv_bfloat16>(const __nv_bfloat16*, const __nv_bfloat16*, double,
                                               __nv_bfloat16*, SpatialShape, cudaStream_t);

}  // namespace fovea::kernels::cuda
