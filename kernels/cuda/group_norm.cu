// CUDA group norm over channels-last groups, forward and backward (kernels/cuda/norm.h).
//
// Math (kernels/norm.h): xhat = (x - mean) * rstd, rstd = 1 / sqrt(biased var + eps),
// y = xhat * weight + bias; with dxhat = dy * weight, statistics taken over a set of n
// elements give dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).
// Layout: contiguous channels-last; T is float, __half or __nv_bfloat16, everything is
// accumulated in f32 and the statistics are stored in f32.
//
// Design: one 256-thread block per (sample, group) for the statistics, the output and dx
// (block reductions through row_group_sum); dweight and dbias are column sums
// (kernels/cuda/norm_column_sums.cuh).
//
// Roofline: as layer norm, each pass reads x (and dy) once and writes once at the
// bandwidth floor; the statistics pass rereads the group from L2.
#include <cstdint>

#include "kernels/cuda/norm.h"
#include "kernels/cuda/norm_column_sums.cuh"

namespace fovea::kernels::cuda {

using detail::blocks_for;
using detail::column_chunks;
using detail::column_totals_kernel;
using detail::ColumnTerm;
using detail::from_float;
using detail::launch_column_partial_sums;
using detail::param_or;
using detail::row_group_sum;
using detail::StatIndex;
using detail::to_float;

namespace {

constexpr int kGroupThreads = 256;

// Element k of group (n, g), k in [0, spatial * group_size).
__device__ __forceinline__ int64_t group_element(const GroupNormShape& s, int64_t n, int64_t g,
                                                 int64_t k) {
  const int64_t group_size = s.channels / s.groups;
  const int64_t pos = k / group_size, j = k % group_size;
  return (n * s.spatial + pos) * s.channels + g * group_size + j;
}

template <typename T>
__global__ void group_norm_forward_kernel(const T* x, const T* weight, const T* bias, float eps,
                                          T* y, float* mean, float* rstd,
                                          GroupNormShape shape) {
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
                                                 GroupNormShape shape) {
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

}  // namespace

template <typename T>
void group_norm_forward(const T* x, const T* weight, const T* bias, double eps, T* y, float* mean,
                        float* rstd, GroupNormShape shape, cudaStream_t stream) {
  const int64_t blocks = shape.batch * shape.groups;
  if (blocks == 0 || shape.spatial == 0) return;
  group_norm_forward_kernel<T><<<static_cast<unsigned>(blocks), kGroupThreads, 0, stream>>>(
      x, weight, bias, static_cast<float>(eps), y, mean, rstd, shape);
  ::fovea::check_launch("group_norm_forward_kernel");
}

int64_t group_norm_backward_workspace(GroupNormShape shape) {
  return 2 * column_chunks(shape.batch * shape.spatial).chunks * shape.channels;
}

template <typename T>
void group_norm_backward(const T* grad_y, const T* x, const float* mean, const float* rstd,
                         const T* weight, T* grad_x, T* grad_weight, T* grad_bias, float* workspace,
                         GroupNormShape shape, cudaStream_t stream) {
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

#define FOVEA_GROUP_NORM_INSTANCES(T)                                                            \
  template void group_norm_forward<T>(const T*, const T*, const T*, double, T*, float*, float*,  \
                                      GroupNormShape, cudaStream_t);                        \
  template void group_norm_backward<T>(const T*, const T*, const float*, const float*, const T*, \
                                       T*, T*, T*, float*, GroupNormShape, cudaStream_t);

FOVEA_GROUP_NORM_INSTANCES(float)
FOVEA_GROUP_NORM_INSTANCES(__half)
FOVEA_GROUP_NORM_INSTANCES(__nv_bfloat16)
#undef FOVEA_GROUP_NORM_INSTANCES

}  // namespace fovea::kernels::cuda
