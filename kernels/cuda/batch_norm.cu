// CUDA batch norm, training and eval, forward and backward (kernels/cuda/norm.h).
//
// Math (kernels/norm.h): xhat = (x - mean) * rstd, rstd = 1 / sqrt(biased var + eps),
// y = xhat * weight + bias; with dxhat = dy * weight, statistics taken over a set of n
// elements give dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).
// Layout: contiguous channels-last; T is float, __half or __nv_bfloat16, everything is
// accumulated in f32 and the statistics are stored in f32.
//
// Design: the statistics and the gradients' per-channel sums are column sums over
// [rows = N*H*W, channels] (kernels/cuda/norm_column_sums.cuh); the elementwise passes
// (forward with optional fused ReLU/SiLU, and dx) are grid-stride loops over 16-byte packs
// with per-channel f32 coefficients.
//
// Roofline (H100, 3.0 TB/s, bf16), ResNet-50 stage 1, x [64*56*56, 256] (103 MB): the
// statistics read x twice and the forward reads x and writes y, 411 MB in all, so a
// training-mode forward takes at least 137 us.
#include <cstdint>

#include "kernels/cuda/norm.h"
#include "kernels/cuda/norm_column_sums.cuh"

namespace fovea::kernels::cuda {

using detail::all_aligned16;
using detail::blocks_for;
using detail::column_chunks;
using detail::column_total;
using detail::ColumnTerm;
using detail::from_float;
using detail::grid_stride_blocks;
using detail::kVec16;
using detail::launch_column_partial_sums;
using detail::Pack;
using detail::param_or;
using detail::StatIndex;
using detail::to_float;

namespace {

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

}  // namespace

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

// ---------------------------------------------------------------- instances

#define FOVEA_BATCH_NORM_INSTANCES(T)                                                            \
  template void batch_norm_stats<T>(const T*, float*, float*, float*, double, float*, int64_t,   \
                                    int64_t, cudaStream_t);                                      \
  template void batch_norm_update_running<T>(const float*, const float*, T*, T*, double, double, \
                                             int64_t, cudaStream_t);                             \
  template void batch_norm_eval_stats<T>(const T*, const T*, double, float*, float*, int64_t,    \
                                         cudaStream_t);                                          \
  template void batch_norm_forward<T>(const T*, const float*, const float*, const T*, const T*,  \
                                      NormActivation, T*, int64_t, int64_t, cudaStream_t);       \
  template void batch_norm_backward<T>(const T*, const T*, const float*, const float*, const T*, \
                                       bool, T*, T*, T*, float*, int64_t, int64_t, cudaStream_t);

FOVEA_BATCH_NORM_INSTANCES(float)
FOVEA_BATCH_NORM_INSTANCES(__half)
FOVEA_BATCH_NORM_INSTANCES(__nv_bfloat16)
#undef FOVEA_BATCH_NORM_INSTANCES

}  // namespace fovea::kernels::cuda
