#pragma once
// Deterministic column sums over a [rows, cols] channels-last tensor, shared by the
// normalisation kernels (kernels/cuda/{layer_norm,batch_norm,group_norm}.cu), and the
// StatIndex that maps an element to its statistic. Only included by .cu files.
//
// Column sums (layer-norm dweight/dbias, all batch-norm statistics and gradients,
// group-norm dweight/dbias): column_partial_sums_kernel gives each 32 x 8 block a tile of
// 32 columns and a chunk of rows; 8 row lanes accumulate, shared memory folds them, and the
// block writes one f32 partial per column. column_totals_kernel (or a caller's own kernel)
// adds the partials of a column in chunk order. No atomics: results are deterministic run
// to run.
#include <algorithm>

#include "kernels/cuda/check.h"
#include "kernels/cuda/device_helpers.cuh"

namespace fovea::kernels::cuda::detail {

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
inline ColumnChunks column_chunks(int64_t rows) {
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

}  // namespace fovea::kernels::cuda::detail
