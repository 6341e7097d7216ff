// CUDA layer norm, batch norm and group norm, forward and backward (kernels/cuda/norm.h).
//
// Math (kernels/norm.h): xhat = (x - mean) * rstd, rstd = 1 / sqrt(biased var + eps),
// y = xhat * weight + bias; with dxhat = dy * weight, statistics taken over a set of n
// elements give dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).
// Layout: contiguous channels-last; T is float, __half or __nv_bfloat16, everything is
// accumulated in f32 and the statistics are stored in f32.
//
// Design.
// - Layer norm (a row of `cols` contiguous values): one warp per row (4 rows per 128-thread
//   block) when cols <= 1024, else one 512-thread block per row. Each thread walks the row
//   in 16-byte packs (8 bf16/f16 or 4 f32; scalar fallback when cols is not a multiple of
//   the pack or a pointer is misaligned). The forward reads the row three times (sum, sum
//   of squared deviations: the CPU reference's two-pass variance, then the output); the
//   second and third reads hit L1/L2 (a ViT-B row is 1.5 KB in bf16), so DRAM sees one
//   read and one write.
// - Column sums (layer-norm dweight/dbias, all batch-norm statistics and gradients,
//   group-norm dweight/dbias): column_partial_sums_kernel gives each 32 x 8 block a tile
//   of 32 columns and a chunk of rows; 8 row lanes accumulate, shared memory folds them,
//   and the block writes one f32 partial per column. A second kernel adds the partials
//   of a column in chunk order. No atomics: results are deterministic run to run.
// - Batch norm's elementwise passes (forward with optional fused ReLU/SiLU, and dx) are
//   grid-stride loops over 16-byte packs with per-channel f32 coefficients.
// - Group norm: one 256-thread block per (sample, group) for the statistics, the output
//   and dx (block reductions through row_group_sum).
//
// Roofline (H100, 3.0 TB/s copy, bf16): ConvNeXt-T stage 1 LayerNorm, x [64*56*56, 96]:
// 38.5 MB read + 38.5 MB written = 77 MB, floor 26 us; backward reads x, dy and writes
// dx (115 MB, 39 us) plus a second read of x and dy for the column sums (77 MB) unless
// they stay in L2 (50 MB: they do not at this size), so about 64 us. ViT-B, x [64*197, 768]:
// 19.4 MB each way, floor 13 us forward. FLOPs (about 8 per element) are irrelevant: 1.2
// GFLOP is 1.5 us of tensor-free f32 throughput.
#include "kernels/cuda/norm.h"

#include <algorithm>
#include <initializer_list>

#include "kernels/cuda/norm_common.cuh"
#include "kernels/cuda_check.h"

namespace fovea::kernels::cuda {

using detail::aligned16;
using detail::from_float;
using detail::kVec16;
using detail::Pack;
using detail::row_group_sum;
using detail::to_float;

namespace {

// ---------------------------------------------------------------- layer norm rows

template <typename T>
__device__ __forceinline__ float param_or(const T* p, int64_t i, float fallback) {
  return p ? to_float(p[i]) : fallback;
}

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

// ---------------------------------------------------------------- column sums

// Which statistic element (row, col) uses: (row / rows_per_sample) * groups + col /
// group_size. Layer norm: {1, 1, cols} (per row); batch norm: {rows, channels, 1} (per
// column); group norm: {spatial, groups, channels / groups}.
struct StatIndex {
  int64_t rows_per_sample = 1;
  int64_t groups = 1;
  int64_t group_size = 1;
  __device__ __forceinline__ int64_t operator()(int64_t row, int64_t col) const {
    return (row / rows_per_sample) * groups + col / group_size;
  }
};

// What column_partial_sums_kernel adds up per column.
enum class ColumnTerm {
  value,              // sum0 = x
  squared_deviation,  // sum0 = (x - mean)^2
  gradient,           // sum0 = dy, sum1 = dy * xhat
};

constexpr int kColumnTile = 32;  // columns per block (threadIdx.x)
constexpr int kRowLanes = 8;     // row lanes per block (threadIdx.y)
constexpr int kMaxChunks = 1024;

struct ColumnChunks {
  int64_t chunks = 1;
  int64_t rows_per_chunk = 0;
};

// Enough row chunks to fill the GPU, each at least 64 rows, at most kMaxChunks.
ColumnChunks column_chunks(int64_t rows) {
  ColumnChunks c;
  c.chunks = std::clamp<int64_t>((rows + 63) / 64, 1, kMaxChunks);
  c.rows_per_chunk = (rows + c.chunks - 1) / c.chunks;
  if (c.rows_per_chunk > 0) c.chunks = (rows + c.rows_per_chunk - 1) / c.rows_per_chunk;
  return c;
}

template <typename T, ColumnTerm kTerm>
__global__ void column_partial_sums_kernel(const T* x, const T* grad_y, const float* mean,
                                           const float* rstd, StatIndex index, int64_t rows,
                                           int64_t cols, int64_t rows_per_chunk, float* partial0,
                                           float* partial1) {
  __shared__ float lane0[kRowLanes][kColumnTile + 1];
  __shared__ float lane1[kRowLanes][kColumnTile + 1];
  const int64_t col = static_cast<int64_t>(blockIdx.x) * kColumnTile + threadIdx.x;
  const int64_t chunk = blockIdx.y;
  const int64_t row_begin = chunk * rows_per_chunk;
  const int64_t row_end = min(rows, row_begin + rows_per_chunk);
  float sum0 = 0.0f, sum1 = 0.0f;
  if (col < cols) {
    for (int64_t r = row_begin + threadIdx.y; r < row_end; r += kRowLanes) {
      const int64_t k = r * cols + col;
      const float xv = to_float(x[k]);
      if constexpr (kTerm == ColumnTerm::value) {
        sum0 += xv;
      } else {
        const int64_t s = index(r, col);
        const float d = xv - mean[s];
        if constexpr (kTerm == ColumnTerm::squared_deviation) {
          sum0 += d * d;
        } else {
          const float g = to_float(grad_y[k]);
          sum0 += g;
          sum1 += g * d * rstd[s];
        }
      }
    }
  }
  lane0[threadIdx.y][threadIdx.x] = sum0;
  lane1[threadIdx.y][threadIdx.x] = sum1;
  __syncthreads();
  if (threadIdx.y == 0 && col < cols) {
    float total0 = 0.0f, total1 = 0.0f;
    for (int i = 0; i < kRowLanes; ++i) {
      total0 += lane0[i][threadIdx.x];
      total1 += lane1[i][threadIdx.x];
    }
    partial0[chunk * cols + col] = total0;
    if (partial1) partial1[chunk * cols + col] = total1;
  }
}

// The sum over chunks of partial[chunk][col], in chunk order.
__device__ __forceinline__ float column_total(const float* partial, int64_t chunks, int64_t cols,
                                              int64_t col) {
  float total = 0.0f;
  for (int64_t chunk = 0; chunk < chunks; ++chunk) total += partial[chunk * cols + col];
  return total;
}

template <typename T>
__global__ void column_totals_kernel(const float* partial0, const float* partial1, int64_t chunks,
                                     int64_t cols, T* total0, T* total1) {
  const int64_t col = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (col >= cols) return;
  if (total0) total0[col] = from_float<T>(column_total(partial0, chunks, cols, col));
  if (total1) total1[col] = from_float<T>(column_total(partial1, chunks, cols, col));
}

// Launches column_partial_sums_kernel over [rows, cols]; partial0 (and partial1 for the
// gradient term) receive chunks x cols values. Returns the chunk count.
template <typename T, ColumnTerm kTerm>
int64_t launch_column_partial_sums(const T* x, const T* grad_y, const float* mean,
                                   const float* rstd, StatIndex index, int64_t rows, int64_t cols,
                                   float* partial0, float* partial1, cudaStream_t stream) {
  const ColumnChunks c = column_chunks(rows);
  const dim3 grid(static_cast<unsigned>((cols + kColumnTile - 1) / kColumnTile),
                  static_cast<unsigned>(c.chunks));
  column_partial_sums_kernel<T, kTerm><<<grid, dim3(kColumnTile, kRowLanes), 0, stream>>>(
      x, grad_y, mean, rstd, index, rows, cols, c.rows_per_chunk, partial0, partial1);
  ::fovea::check_launch("column_partial_sums_kernel");
  return c.chunks;
}

unsigned blocks_for(int64_t n, int threads) {
  return static_cast<unsigned>((n + threads - 1) / threads);
}

// Grid-stride kernels: enough blocks to fill an H100 several times over, no more.
unsigned grid_stride_blocks(int64_t n, int threads) {
  return static_cast<unsigned>(std::clamp<int64_t>((n + threads - 1) / threads, 1, 132 * 32));
}

// ---------------------------------------------------------------- batch norm

__global__ void batch_norm_mean_kernel(const float* partial, int64_t chunks, int64_t channels,
                                       int64_t rows, float* mean) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= channels) return;
  mean[c] = column_total(partial, chunks, channels, c) / static_cast<float>(rows);
}

__global__ void batch_norm_var_kernel(const float* partial, int64_t chunks, int64_t channels,
                                      int64_t rows, float eps, float* var, float* rstd) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= channels) return;
  const float v = column_total(partial, chunks, channels, c) / static_cast<float>(rows);
  var[c] = v;
  rstd[c] = 1.0f / sqrtf(v + eps);
}

template <typename R>
__global__ void batch_norm_update_running_kernel(const float* mean, const float* var,
                                                 R* running_mean, R* running_var, float momentum,
                                                 float var_factor, int64_t channels) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= channels) return;
  const R m = from_float<R>(to_float(running_mean[c]) * (1.0f - momentum));
  running_mean[c] = from_float<R>(to_float(m) + mean[c] * momentum);
  const R v = from_float<R>(to_float(running_var[c]) * (1.0f - momentum));
  running_var[c] = from_float<R>(to_float(v) + var[c] * var_factor);
}

template <typename R>
__global__ void batch_norm_eval_stats_kernel(const R* running_mean, const R* running_var, float eps,
                                             float* mean, float* rstd, int64_t channels) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= channels) return;
  mean[c] = to_float(running_mean[c]);
  rstd[c] = 1.0f / sqrtf(to_float(running_var[c]) + eps);
}

__device__ __forceinline__ float activate(float v, NormActivation activation) {
  switch (activation) {
    case NormActivation::relu:
      return fmaxf(v, 0.0f);
    case NormActivation::silu:
      return v / (1.0f + expf(-v));
    case NormActivation::none:
      break;
  }
  return v;
}

// Packs of V elements never straddle a row: V divides channels (checked by the launcher).
template <typename T, int V>
__global__ void batch_norm_forward_kernel(const T* x, const float* mean, const float* rstd,
                                          const T* weight, const T* bias, NormActivation activation,
                                          T* y, int64_t packs, int64_t channels) {
  const auto* xp = reinterpret_cast<const Pack<T, V>*>(x);
  auto* yp = reinterpret_cast<Pack<T, V>*>(y);
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t p = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; p < packs;
       p += stride) {
    const Pack<T, V> v = xp[p];
    const int64_t c0 = (p * V) % channels;
    Pack<T, V> out;
#pragma unroll
    for (int k = 0; k < V; ++k) {
      const int64_t c = c0 + k;
      const float scale = rstd[c] * param_or(weight, c, 1.0f);
      const float value = (to_float(v.v[k]) - mean[c]) * scale + param_or(bias, c, 0.0f);
      out.v[k] = from_float<T>(activate(value, activation));
    }
    yp[p] = out;
  }
}

// From the column sums of dy and dy * xhat: dbias, dweight, and the per-channel means the
// dx pass subtracts (zero with constant statistics).
template <typename T>
__global__ void batch_norm_backward_totals_kernel(const float* partial_dy,
                                                  const float* partial_dy_xhat, int64_t chunks,
                                                  int64_t channels, int64_t rows, bool batch_stats,
                                                  T* grad_weight, T* grad_bias, float* mean_dy,
                                                  float* mean_dy_xhat) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= channels) return;
  const float sum_dy = column_total(partial_dy, chunks, channels, c);
  const float sum_dy_xhat = column_total(partial_dy_xhat, chunks, channels, c);
  if (grad_bias) grad_bias[c] = from_float<T>(sum_dy);
  if (grad_weight) grad_weight[c] = from_float<T>(sum_dy_xhat);
  const float n = static_cast<float>(rows);
  mean_dy[c] = batch_stats ? sum_dy / n : 0.0f;
  mean_dy_xhat[c] = batch_stats ? sum_dy_xhat / n : 0.0f;
}

template <typename T, int V>
__global__ void batch_norm_backward_input_kernel(const T* grad_y, const T* x, const float* mean,
                                                 const float* rstd, const T* weight,
                                                 const float* mean_dy, const float* mean_dy_xhat,
                                                 T* grad_x, int64_t packs, int64_t channels) {
  const auto* xp = reinterpret_cast<const Pack<T, V>*>(x);
  const auto* gp = reinterpret_cast<const Pack<T, V>*>(grad_y);
  auto* dxp = reinterpret_cast<Pack<T, V>*>(grad_x);
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t p = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; p < packs;
       p += stride) {
    const Pack<T, V> xv = xp[p], gv = gp[p];
    const int64_t c0 = (p * V) % channels;
    Pack<T, V> out;
#pragma unroll
    for (int k = 0; k < V; ++k) {
      const int64_t c = c0 + k;
      const float xhat = (to_float(xv.v[k]) - mean[c]) * rstd[c];
      const float scale = rstd[c] * param_or(weight, c, 1.0f);
      out.v[k] = from_float<T>(scale * (to_float(gv.v[k]) - mean_dy[c] - xhat * mean_dy_xhat[c]));
    }
    dxp[p] = out;
  }
}

// ---------------------------------------------------------------- group norm

constexpr int kGroupThreads = 256;

// Element k of group (n, g), k in [0, spatial * group_size).
__device__ __forceinline__ int64_t group_element(const cpu::GroupNormShape& s, int64_t n, int64_t g,
                                                 int64_t k) {
  const int64_t group_size = s.channels / s.groups;
  const int64_t pos = k / group_size, j = k % group_size;
  return (n * s.spatial + pos) * s.channels + g * group_size + j;
}

template <typename T>
__global__ void group_norm_forward_kernel(const T* x, const T* weight, const T* bias, float eps,
                                          T* y, float* mean, float* rstd,
                                          cpu::GroupNormShape shape) {
  __shared__ float scratch[32];
  const int64_t n = blockIdx.x / shape.groups, g = blockIdx.x % shape.groups;
  const int64_t group_size = shape.channels / shape.groups;
  const int64_t count = shape.spatial * group_size;
  float sum = 0.0f;
  for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
    sum += to_float(x[group_element(shape, n, g, k)]);
  }
  const float mu = row_group_sum(sum, scratch) / static_cast<float>(count);
  float squares = 0.0f;
  for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
    const float d = to_float(x[group_element(shape, n, g, k)]) - mu;
    squares += d * d;
  }
  const float var = row_group_sum(squares, scratch) / static_cast<float>(count);
  const float r = 1.0f / sqrtf(var + eps);
  if (threadIdx.x == 0) {
    mean[blockIdx.x] = mu;
    rstd[blockIdx.x] = r;
  }
  for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
    const int64_t e = group_element(shape, n, g, k);
    const int64_t c = g * group_size + k % group_size;
    const float xhat = (to_float(x[e]) - mu) * r;
    y[e] = from_float<T>(xhat * param_or(weight, c, 1.0f) + param_or(bias, c, 0.0f));
  }
}

template <typename T>
__global__ void group_norm_backward_input_kernel(const T* grad_y, const T* x, const float* mean,
                                                 const float* rstd, const T* weight, T* grad_x,
                                                 cpu::GroupNormShape shape) {
  __shared__ float scratch[32];
  const int64_t n = blockIdx.x / shape.groups, g = blockIdx.x % shape.groups;
  const int64_t group_size = shape.channels / shape.groups;
  const int64_t count = shape.spatial * group_size;
  const float mu = mean[blockIdx.x], r = rstd[blockIdx.x];
  float sum_dxhat = 0.0f, sum_dxhat_xhat = 0.0f;
  for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
    const int64_t e = group_element(shape, n, g, k);
    const float dxhat =
        to_float(grad_y[e]) * param_or(weight, g * group_size + k % group_size, 1.0f);
    sum_dxhat += dxhat;
    sum_dxhat_xhat += dxhat * (to_float(x[e]) - mu) * r;
  }
  const float mean_dxhat = row_group_sum(sum_dxhat, scratch) / static_cast<float>(count);
  const float mean_dxhat_xhat = row_group_sum(sum_dxhat_xhat, scratch) / static_cast<float>(count);
  for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
    const int64_t e = group_element(shape, n, g, k);
    const float dxhat =
        to_float(grad_y[e]) * param_or(weight, g * group_size + k % group_size, 1.0f);
    const float xhat = (to_float(x[e]) - mu) * r;
    grad_x[e] = from_float<T>(r * (dxhat - mean_dxhat - xhat * mean_dxhat_xhat));
  }
}

// ---------------------------------------------------------------- launch helpers

// Whether every non-null pointer is 16-byte aligned.
bool all_aligned16(std::initializer_list<const void*> pointers) {
  for (const void* p : pointers) {
    if (p && !aligned16(p)) return false;
  }
  return true;
}

struct RowLaunch {
  dim3 grid, block;
};

// Warp per row (4 rows per block) up to 1024 columns, else a 512-thread block per row.
RowLaunch row_launch(int64_t rows, int64_t cols) {
  if (cols <= 1024) return {dim3(blocks_for(rows, 4)), dim3(32, 4)};
  return {dim3(static_cast<unsigned>(rows)), dim3(512, 1)};
}

}  // namespace

// ---------------------------------------------------------------- layer norm launchers

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

// ---------------------------------------------------------------- batch norm launchers

int64_t batch_norm_workspace(int64_t rows, int64_t channels) {
  return 2 * column_chunks(rows).chunks * channels + 2 * channels;
}

template <typename T>
void batch_norm_stats(const T* x, float* mean, float* var, float* rstd, double eps,
                      float* workspace, int64_t rows, int64_t channels, cudaStream_t stream) {
  if (channels == 0) return;
  const StatIndex per_channel{rows > 0 ? rows : 1, channels, 1};
  const int64_t chunks = launch_column_partial_sums<T, ColumnTerm::value>(
      x, nullptr, nullptr, nullptr, per_channel, rows, channels, workspace, nullptr, stream);
  batch_norm_mean_kernel<<<blocks_for(channels, 256), 256, 0, stream>>>(workspace, chunks, channels,
                                                                        rows, mean);
  ::fovea::check_launch("batch_norm_mean_kernel");
  launch_column_partial_sums<T, ColumnTerm::squared_deviation>(
      x, nullptr, mean, nullptr, per_channel, rows, channels, workspace, nullptr, stream);
  batch_norm_var_kernel<<<blocks_for(channels, 256), 256, 0, stream>>>(
      workspace, chunks, channels, rows, static_cast<float>(eps), var, rstd);
  ::fovea::check_launch("batch_norm_var_kernel");
}

template <typename R>
void batch_norm_update_running(const float* mean, const float* var, R* running_mean, R* running_var,
                               double momentum, double bessel, int64_t channels,
                               cudaStream_t stream) {
  if (channels == 0) return;
  batch_norm_update_running_kernel<R><<<blocks_for(channels, 256), 256, 0, stream>>>(
      mean, var, running_mean, running_var, static_cast<float>(momentum),
      static_cast<float>(momentum * bessel), channels);
  ::fovea::check_launch("batch_norm_update_running_kernel");
}

template <typename R>
void batch_norm_eval_stats(const R* running_mean, const R* running_var, double eps, float* mean,
                           float* rstd, int64_t channels, cudaStream_t stream) {
  if (channels == 0) return;
  batch_norm_eval_stats_kernel<R><<<blocks_for(channels, 256), 256, 0, stream>>>(
      running_mean, running_var, static_cast<float>(eps), mean, rstd, channels);
  ::fovea::check_launch("batch_norm_eval_stats_kernel");
}

template <typename T>
void batch_norm_forward(const T* x, const float* mean, const float* rstd, const T* weight,
                        const T* bias, NormActivation activation, T* y, int64_t rows,
                        int64_t channels, cudaStream_t stream) {
  const int64_t n = rows * channels;
  if (n == 0) return;
  constexpr int V = kVec16<T>;
  if (channels % V == 0 && all_aligned16({x, y})) {
    batch_norm_forward_kernel<T, V><<<grid_stride_blocks(n / V, 256), 256, 0, stream>>>(
        x, mean, rstd, weight, bias, activation, y, n / V, channels);
  } else {
    batch_norm_forward_kernel<T, 1><<<grid_stride_blocks(n, 256), 256, 0, stream>>>(
        x, mean, rstd, weight, bias, activation, y, n, channels);
  }
  ::fovea::check_launch("batch_norm_forward_kernel");
}

template <typename T>
void batch_norm_backward(const T* grad_y, const T* x, const float* mean, const float* rstd,
                         const T* weight, bool batch_stats, T* grad_x, T* grad_weight, T* grad_bias,
                         float* workspace, int64_t rows, int64_t channels, cudaStream_t stream) {
  if (channels == 0) return;
  const int64_t chunks = column_chunks(rows).chunks;
  float* partial_dy = workspace;
  float* partial_dy_xhat = workspace + chunks * channels;
  float* mean_dy = partial_dy_xhat + chunks * channels;
  float* mean_dy_xhat = mean_dy + channels;
  launch_column_partial_sums<T, ColumnTerm::gradient>(
      x, grad_y, mean, rstd, StatIndex{rows > 0 ? rows : 1, channels, 1}, rows, channels,
      partial_dy, partial_dy_xhat, stream);
  batch_norm_backward_totals_kernel<T><<<blocks_for(channels, 256), 256, 0, stream>>>(
      partial_dy, partial_dy_xhat, chunks, channels, rows, batch_stats, grad_weight, grad_bias,
      mean_dy, mean_dy_xhat);
  ::fovea::check_launch("batch_norm_backward_totals_kernel");
  const int64_t n = rows * channels;
  if (!grad_x || n == 0) return;
  constexpr int V = kVec16<T>;
  if (channels % V == 0 && all_aligned16({grad_y, x, grad_x})) {
    batch_norm_backward_input_kernel<T, V><<<grid_stride_blocks(n / V, 256), 256, 0, stream>>>(
        grad_y, x, mean, rstd, weight, mean_dy, mean_dy_xhat, grad_x, n / V, channels);
  } else {
    batch_norm_backward_input_kernel<T, 1><<<grid_stride_blocks(n, 256), 256, 0, stream>>>(
        grad_y, x, mean, rstd, weight, mean_dy, mean_dy_xhat, grad_x, n, channels);
  }
  ::fovea::check_launch("batch_norm_backward_input_kernel");
}

// ---------------------------------------------------------------- group norm launchers

template <typename T>
void group_norm_forward(const T* x, const T* weight, const T* bias, double eps, T* y, float* mean,
                        float* rstd, cpu::GroupNormShape shape, cudaStream_t stream) {
  const int64_t blocks = shape.batch * shape.groups;
  if (blocks == 0 || shape.spatial == 0) return;
  group_norm_forward_kernel<T><<<static_cast<unsigned>(blocks), kGroupThreads, 0, stream>>>(
      x, weight, bias, static_cast<float>(eps), y, mean, rstd, shape);
  ::fovea::check_launch("group_norm_forward_kernel");
}

int64_t group_norm_backward_workspace(cpu::GroupNormShape shape) {
  return 2 * column_chunks(shape.batch * shape.spatial).chunks * shape.channels;
}

template <typename T>
void group_norm_backward(const T* grad_y, const T* x, const float* mean, const float* rstd,
                         const T* weight, T* grad_x, T* grad_weight, T* grad_bias, float* workspace,
                         cpu::GroupNormShape shape, cudaStream_t stream) {
  const int64_t blocks = shape.batch * shape.groups;
  if (blocks == 0 || shape.spatial == 0) return;
  if (grad_x) {
    group_norm_backward_input_kernel<T>
        <<<static_cast<unsigned>(blocks), kGroupThreads, 0, stream>>>(grad_y, x, mean, rstd, weight,
                                                                      grad_x, shape);
    ::fovea::check_launch("group_norm_backward_input_kernel");
  }
  if (!grad_weight && !grad_bias) return;
  const int64_t rows = shape.batch * shape.spatial, cols = shape.channels;
  const int64_t chunks = column_chunks(rows).chunks;
  float* partial_db = workspace;
  float* partial_dw = workspace + chunks * cols;
  launch_column_partial_sums<T, ColumnTerm::gradient>(
      x, grad_y, mean, rstd, StatIndex{shape.spatial, shape.groups, cols / shape.groups}, rows,
      cols, partial_db, partial_dw, stream);
  column_totals_kernel<T><<<blocks_for(cols, 256), 256, 0, stream>>>(partial_db, partial_dw, chunks,
                                                                     cols, grad_bias, grad_weight);
  ::fovea::check_launch("column_totals_kernel");
}

// ---------------------------------------------------------------- instances

#define FOVEA_NORM_INSTANCES(T)                                                                   \
  template void layer_norm_forward<T>(const T*, const T*, const T*, double, T*, float*, float*,   \
                                      int64_t, int64_t, cudaStream_t);                            \
  template void layer_norm_backward<T>(const T*, const T*, const float*, const float*, const T*,  \
                                       T*, T*, T*, float*, int64_t, int64_t, cudaStream_t);       \
  template void batch_norm_stats<T>(const T*, float*, float*, float*, double, float*, int64_t,    \
                                    int64_t, cudaStream_t);                                       \
  template void batch_norm_update_running<T>(const float*, const float*, T*, T*, double, double,  \
                                             int64_t, cudaStream_t);                              \
  template void batch_norm_eval_stats<T>(const T*, const T*, double, float*, float*, int64_t,     \
                                         cudaStream_t);                                           \
  template void batch_norm_forward<T>(const T*, const float*, const float*, const T*, const T*,   \
                                      NormActivation, T*, int64_t, int64_t, cudaStream_t);        \
  template void batch_norm_backward<T>(const T*, const T*, const float*, const float*, const T*,  \
                                       bool, T*, T*, T*, float*, int64_t, int64_t, cudaStream_t); \
  template void group_norm_forward<T>(const T*, const T*, const T*, double, T*, float*, float*,   \
                                      cpu::GroupNormShape, cudaStream_t);                         \
  template void group_norm_backward<T>(const T*, const T*, const float*, const float*, const T*,  \
                                       T*, T*, T*, float*, cpu::GroupNormShape, cudaStream_t);

FOVEA_NORM_INSTANCES(float)
FOVEA_NORM_INSTANCES(__half)
FOVEA_NORM_INSTANCES(__nv_bfloat16)
#undef FOVEA_NORM_INSTANCES

}  // namespace fovea::kernels::cuda
