// CUDA layer norm over the last dim, forward and backward (kernels/cuda/norm.h).
//
// Math (kernels/norm.h): xhat = (x - mean) * rstd, rstd = 1 / sqrt(biased var + eps),
// y = xhat * weight + bias; with dxhat = dy * weight, statistics taken over a set of n
// elements give dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).
// Layout: contiguous channels-last; T is float, __half or __nv_bfloat16, everything is
// accumulated in f32 and the statistics are stored in f32.
//
// Design: one warp per row (4 rows per 128-thread block) when cols <= 1024, else one
// 512-thread block per row. Each thread walks the row in 16-byte packs (8 bf16/f16 or 4
// f32; scalar fallback when cols is not a multiple of the pack or a pointer is
// misaligned). The forward reads the row three times (sum, sum of squared deviations: the
// CPU reference's two-pass variance, then the output); the second and third reads hit
// L1/L2 (a ViT-B row is 1.5 KB in bf16), so DRAM sees one read and one write. dweight and
// dbias are column sums (kernels/cuda/norm_column_sums.cuh).
//
// Roofline (H100, 3.0 TB/s copy, bf16): ConvNeXt-T stage 1 LayerNorm, x [64*56*56, 96]:
// 38.5 MB read + 38.5 MB written = 77 MB, floor 26 us; backward reads x, dy and writes
// dx (115 MB, 39 us) plus a second read of x and dy for the column sums (77 MB) unless
// they stay in L2 (50 MB: they do not at this size), so about 64 us. ViT-B, x [64*197, 768]:
// 19.4 MB each way, floor 13 us forward. FLOPs (about 8 per element) are irrelevant: 1.2
// GFLOP is 1.5 us of tensor-free f32 throughput.
#include <cstdint>

#include "kernels/cuda/norm.h"
#include "kernels/cuda/norm_column_sums.cuh"

namespace fovea::kernels::cuda {

using detail::all_aligned16;
using detail::blocks_for;
using detail::column_chunks;
using detail::column_totals_kernel;
using detail::ColumnTerm;
using detail::from_float;
using detail::kVec16;
using detail::launch_column_partial_sums;
using detail::Pack;
using detail::param_or;
using detail::row_group_sum;
using detail::row_launch;
using detail::RowLaunch;
using detail::StatIndex;
using detail::to_float;

namespace {

// One row per threadIdx.y group of blockDim.x threads. In block-per-row mode blockDim.y is
// 1 and the grid has exactly `rows` blocks, so the early return never splits a block
// across row_group_sum's barriers; in warp mode row_group_sum has no barrier.
template <typename T, int V>
__global__ void layer_norm_forward_kernel(const T* x, const T* weight, const T* bias, float eps,
                                          T* y, float* mean, float* rstd, int64_t rows,
                                          int64_t cols) {
  __shared__ float scratch[32];
  const int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y;
  if (row >= rows) return;
  const int64_t packs = cols / V;
  const auto* xr = reinterpret_cast<const Pack<T, V>*>(x + row * cols);
  auto* yr = reinterpret_cast<Pack<T, V>*>(y + row * cols);

  float sum = 0.0f;
  for (int64_t p = threadIdx.x; p < packs; p += blockDim.x) {
    const Pack<T, V> v = xr[p];
#pragma unroll
    for (int k = 0; k < V; ++k) sum += to_float(v.v[k]);
  }
  const float mu = row_group_sum(sum, scratch) / static_cast<float>(cols);
  float squares = 0.0f;
  for (int64_t p = threadIdx.x; p < packs; p += blockDim.x) {
    const Pack<T, V> v = xr[p];
#pragma unroll
    for (int k = 0; k < V; ++k) {
      const float d = to_float(v.v[k]) - mu;
      squares += d * d;
    }
  }
  const float var = row_group_sum(squares, scratch) / static_cast<float>(cols);
  const float r = 1.0f / sqrtf(var + eps);
  if (threadIdx.x == 0) {
    mean[row] = mu;
    rstd[row] = r;
  }
  for (int64_t p = threadIdx.x; p < packs; p += blockDim.x) {
    const Pack<T, V> v = xr[p];
    Pack<T, V> out;
#pragma unroll
    for (int k = 0; k < V; ++k) {
      const int64_t j = p * V + k;
      const float xhat = (to_float(v.v[k]) - mu) * r;
      out.v[k] = from_float<T>(xhat * param_or(weight, j, 1.0f) + param_or(bias, j, 0.0f));
    }
    yr[p] = out;
  }
}

template <typename T, int V>
__global__ void layer_norm_backward_input_kernel(const T* grad_y, const T* x, const float* mean,
                                                 const float* rstd, const T* weight, T* grad_x,
                                                 int64_t rows, int64_t cols) {
  __shared__ float scratch[32];
  const int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y;
  if (row >= rows) return;
  const int64_t packs = cols / V;
  const auto* xr = reinterpret_cast<const Pack<T, V>*>(x + row * cols);
  const auto* dyr = reinterpret_cast<const Pack<T, V>*>(grad_y + row * cols);
  auto* dxr = reinterpret_cast<Pack<T, V>*>(grad_x + row * cols);
  const float mu = mean[row], r = rstd[row];

  float sum_dxhat = 0.0f, sum_dxhat_xhat = 0.0f;
  for (int64_t p = threadIdx.x; p < packs; p += blockDim.x) {
    const Pack<T, V> xv = xr[p], gv = dyr[p];
#pragma unroll
    for (int k = 0; k < V; ++k) {
      const float dxhat = to_float(gv.v[k]) * param_or(weight, p * V + k, 1.0f);
      sum_dxhat += dxhat;
      sum_dxhat_xhat += dxhat * (to_float(xv.v[k]) - mu) * r;
    }
  }
  const float n = static_cast<float>(cols);
  const float mean_dxhat = row_group_sum(sum_dxhat, scratch) / n;
  const float mean_dxhat_xhat = row_group_sum(sum_dxhat_xhat, scratch) / n;
  for (int64_t p = threadIdx.x; p < packs; p += blockDim.x) {
    const Pack<T, V> xv = xr[p], gv = dyr[p];
    Pack<T, V> out;
#pragma unroll
    for (int k = 0; k < V; ++k) {
      const float dxhat = to_float(gv.v[k]) * param_or(weight, p * V + k, 1.0f);
      const float xhat = (to_float(xv.v[k]) - mu) * r;
      out.v[k] = from_float<T>(r * (dxhat - mean_dxhat - xhat * mean_dxhat_xhat));
    }
    dxr[p] = out;
  }
}

}  // namespace

template <typename T>
void layer_norm_forward(const T* x, const T* weight, const T* bias, double eps, T* y, float* mean,
                        float* rstd, int64_t rows, int64_t cols, cudaStream_t stream) {
  if (rows == 0 || cols == 0) return;
  const RowLaunch launch = row_launch(rows, cols);
  constexpr int V = kVec16<T>;
  if (cols % V == 0 && all_aligned16({x, weight, bias, y})) {
    layer_norm_forward_kernel<T, V><<<launch.grid, launch.block, 0, stream>>>(
        x, weight, bias, static_cast<float>(eps), y, mean, rstd, rows, cols);
  } else {
    layer_norm_forward_kernel<T, 1><<<launch.grid, launch.block, 0, stream>>>(
        x, weight, bias, static_cast<float>(eps), y, mean, rstd, rows, cols);
  }
  ::fovea::check_launch("layer_norm_forward_kernel");
}

int64_t layer_norm_backward_workspace(int64_t rows, int64_t cols) {
  return 2 * column_chunks(rows).chunks * cols;
}

template <typename T>
void layer_norm_backward(const T* grad_y, const T* x, const float* mean, const float* rstd,
                         const T* weight, T* grad_x, T* grad_weight, T* grad_bias, float* workspace,
                         int64_t rows, int64_t cols, cudaStream_t stream) {
  if (cols == 0) return;
  if (grad_x && rows > 0) {
    const RowLaunch launch = row_launch(rows, cols);
    constexpr int V = kVec16<T>;
    if (cols % V == 0 && all_aligned16({grad_y, x, weight, grad_x})) {
      layer_norm_backward_input_kernel<T, V><<<launch.grid, launch.block, 0, stream>>>(
          grad_y, x, mean, rstd, weight, grad_x, rows, cols);
    } else {
      layer_norm_backward_input_kernel<T, 1><<<launch.grid, launch.block, 0, stream>>>(
          grad_y, x, mean, rstd, weight, grad_x, rows, cols);
    }
    ::fovea::check_launch("layer_norm_backward_input_kernel");
  }
  if (!grad_weight && !grad_bias) return;
  const int64_t chunks = column_chunks(rows).chunks;
  float* partial_db = workspace;
  float* partial_dw = workspace + chunks * cols;
  launch_column_partial_sums<T, ColumnTerm::gradient>(x, grad_y, mean, rstd, StatIndex{1, 1, cols},
                                                      rows, cols, partial_db, partial_dw, stream);
  column_totals_kernel<T><<<blocks_for(cols, 256), 256, 0, stream>>>(partial_db, partial_dw, chunks,
                                                                     cols, grad_bias, grad_weight);
  ::fovea::check_launch("column_totals_kernel");
}

// ---------------------------------------------------------------- instances

#define FOVEA_LAYER_NORM_INSTANCES(T)                                                            \
  template void layer_norm_forward<T>(const T*, const T*, const T*, double, T*, float*, float*,  \
                                      int64_t, int64_t, cudaStream_t);                           \
  template void layer_norm_backward<T>(const T*, const T*, const float*, const float*, const T*, \
                                       T*, T*, T*, float*, int64_t, int64_t, cudaStream_t);

FOVEA_LAYER_NORM_INSTANCES(float)
FOVEA_LAYER_NORM_INSTANCES(__half)
FOVEA_LAYER_NORM_INSTANCES(__nv_bfloat16)
#undef FOVEA_LAYER_NORM_INSTANCES

}  // namespace fovea::kernels::cuda
