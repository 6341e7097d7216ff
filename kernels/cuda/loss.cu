// CUDA cross entropy, negative log-likelihood, focal loss and binary cross entropy with
// logits, forward and backward (kernels/cuda/loss.h).
//
// Math (kernels/loss.h): each classification row has a target distribution q (index or
// probability targets, class weights, label smoothing folded in), loss_r = sum_k q_k
// (lse_r - z_k), and d loss / d z_k = (sum_j q_j) softmax_k - q_k, softmax from the saved
// lse. Focal: f(l) = -alpha (1 - e^l)^gamma l with l = log p_y, gradient f'(l) ([k == y] -
// softmax_k). BCE with logits in PyTorch's overflow-free form.
//
// Design. The row losses (cross entropy, focal) use one warp per row up to 1024 classes
// (ImageNet's 1000 included), one 512-thread block per row beyond: a max sweep, an exp-sum
// sweep, then the q-weighted sweep, all reading the row from L1 after the first. The
// backward is one sweep for sum q (cheap: q is computed, not loaded) and one that writes.
// NLL is a thread per row (forward) and a thread per score (backward). BCE is an
// elementwise grid-stride loop over kernels::Loop, the broadcast geometry the CPU uses.
//
// Roofline: a classifier head [256, 1000] f32 is 1 MB of logits: cross entropy forward
// and backward each move 1-2 MB, 1 us at 3.0 TB/s, so these kernels are launch-bound at
// the seed models' batch sizes; what matters is that they are single fused launches.
#include "kernels/cuda/loss.h"

#include <algorithm>
#include <cstdint>

#include "kernels/cuda/norm_common.cuh"
#include "kernels/cuda/check.h"

namespace fovea::kernels::cuda {

using detail::from_float;
using detail::nan_max;
using detail::row_group_max;
using detail::row_group_sum;
using detail::to_float;

namespace {

template <typename T>
__device__ __forceinline__ bool ignored(const ClassTargets<T>& targets, int64_t r) {
  return targets.target_index != nullptr && targets.target_index[r] == targets.ignore_index;
}

// q_k of row r (kernels/loss.h); the row must not be ignored.
template <typename T>
__device__ __forceinline__ float target_mass(const ClassTargets<T>& targets, float eps, int64_t r,
                                             int64_t k) {
  const float w = targets.weight ? to_float(targets.weight[k]) : 1.0f;
  const float uniform = eps / static_cast<float>(targets.classes);
  if (targets.target_probs) {
    const float t = to_float(targets.target_probs[r * targets.classes + k]);
    return w * (t * (1.0f - eps) + uniform);
  }
  return w * (uniform + (k == targets.target_index[r] ? 1.0f - eps : 0.0f));
}

// log sum exp of row z (length n) over the row group; every thread of the group gets it.
// An all -inf row or a +inf logit gives the maximum itself, as on the CPU.
template <typename T>
__device__ __forceinline__ float row_log_sum_exp(const T* z, int64_t n, float* scratch) {
  float max = -INFINITY;
  for (int64_t k = threadIdx.x; k < n; k += blockDim.x) max = nan_max(max, to_float(z[k]));
  max = row_group_max(max, scratch);
  float sum = 0.0f;
  for (int64_t k = threadIdx.x; k < n; k += blockDim.x) sum += expf(to_float(z[k]) - max);
  sum = row_group_sum(sum, scratch);
  return isinf(max) ? max : max + logf(sum);
}

// One row per threadIdx.y group (warp mode) or per block (blockDim.y == 1, grid == rows):
// the early return never splits a block across row_group_sum's barriers, and branches on
// the row's own target are uniform over its group.
template <typename T>
__global__ void cross_entropy_forward_kernel(ClassTargets<T> targets, float eps, const T* logits,
                                             T* loss, float* lse) {
  __shared__ float scratch[32];
  const int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y;
  if (r >= targets.rows) return;
  const int64_t classes = targets.classes;
  const T* z = logits + r * classes;
  const float row_lse = row_log_sum_exp(z, classes, scratch);
  if (threadIdx.x == 0) lse[r] = row_lse;
  if (ignored(targets, r)) {
    if (threadIdx.x == 0) loss[r] = from_float<T>(0.0f);
    return;
  }
  float total = 0.0f;
  for (int64_t k = threadIdx.x; k < classes; k += blockDim.x) {
    const float q = target_mass(targets, eps, r, k);
    // Skipping q == 0 keeps a masked -inf logit from turning 0 * inf into NaN.
    if (q != 0.0f) total += q * (row_lse - to_float(z[k]));
  }
  total = row_group_sum(total, scratch);
  if (threadIdx.x == 0) loss[r] = from_float<T>(total);
}

template <typename T>
__global__ void cross_entropy_backward_kernel(ClassTargets<T> targets, float eps, const T* logits,
                                              const float* lse, const T* grad_loss,
                                              int64_t grad_stride, float scale, T* grad_logits) {
  __shared__ float scratch[32];
  const int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y;
  if (r >= targets.rows) return;
  const int64_t classes = targets.classes;
  T* grad = grad_logits + r * classes;
  if (ignored(targets, r)) {
    for (int64_t k = threadIdx.x; k < classes; k += blockDim.x) grad[k] = from_float<T>(0.0f);
    return;
  }
  float mass = 0.0f;
  for (int64_t k = threadIdx.x; k < classes; k += blockDim.x) {
    mass += target_mass(targets, eps, r, k);
  }
  mass = row_group_sum(mass, scratch);
  const float g = to_float(grad_loss[r * grad_stride]) * scale;
  const T* z = logits + r * classes;
  for (int64_t k = threadIdx.x; k < classes; k += blockDim.x) {
    const float p = expf(to_float(z[k]) - lse[r]);
    grad[k] = from_float<T>(g * (mass * p - target_mass(targets, eps, r, k)));
  }
}

template <typename T>
__global__ void nll_forward_kernel(ClassTargets<T> targets, const T* log_probs, T* loss) {
  const int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= targets.rows) return;
  if (ignored(targets, r)) {
    loss[r] = from_float<T>(0.0f);
    return;
  }
  const int64_t y = targets.target_index[r];
  const float w = targets.weight ? to_float(targets.weight[y]) : 1.0f;
  loss[r] = from_float<T>(-w * to_float(log_probs[r * targets.classes + y]));
}

template <typename T>
__global__ void nll_backward_kernel(ClassTargets<T> targets, const T* grad_loss,
                                    int64_t grad_stride, float scale, T* grad_log_probs) {
  const int64_t count = targets.rows * targets.classes;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += stride) {
    const int64_t r = i / targets.classes, k = i % targets.classes;
    float value = 0.0f;
    if (!ignored(targets, r) && k == targets.target_index[r]) {
      const float w = targets.weight ? to_float(targets.weight[k]) : 1.0f;
      value = -w * to_float(grad_loss[r * grad_stride]) * scale;
    }
    grad_log_probs[i] = from_float<T>(value);
  }
}

template <typename T>
__device__ __forceinline__ float focal_alpha(const FocalParams& params, const T* alpha,
                                             int64_t target) {
  if (params.alpha_size == 0) return 1.0f;
  return to_float(alpha[params.alpha_size == 1 ? 0 : target]);
}

template <typename T>
__global__ void focal_forward_kernel(ClassTargets<T> targets, FocalParams params, const T* alpha,
                                     const T* logits, T* loss, float* lse) {
  __shared__ float scratch[32];
  const int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y;
  if (r >= targets.rows) return;
  const T* z = logits + r * targets.classes;
  const float row_lse = row_log_sum_exp(z, targets.classes, scratch);
  if (threadIdx.x != 0) return;
  lse[r] = row_lse;
  if (ignored(targets, r)) {
    loss[r] = from_float<T>(0.0f);
    return;
  }
  const int64_t y = targets.target_index[r];
  const float log_p = to_float(z[y]) - row_lse;
  const float one_minus_p = -expm1f(log_p);  // exact even when p is close to 1
  const float gamma = static_cast<float>(params.gamma);
  loss[r] = from_float<T>(-focal_alpha(params, alpha, y) * powf(one_minus_p, gamma) * log_p);
}

template <typename T>
__global__ void focal_backward_kernel(ClassTargets<T> targets, FocalParams params, const T* alpha,
                                      const T* logits, const float* lse, const T* grad_loss,
                                      int64_t grad_stride, float scale, T* grad_logits) {
  const int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y;
  if (r >= targets.rows) return;
  const int64_t classes = targets.classes;
  T* grad = grad_logits + r * classes;
  if (ignored(targets, r)) {
    for (int64_t k = threadIdx.x; k < classes; k += blockDim.x) grad[k] = from_float<T>(0.0f);
    return;
  }
  const T* z = logits + r * classes;
  const int64_t y = targets.target_index[r];
  const float gamma = static_cast<float>(params.gamma);
  const float log_p = to_float(z[y]) - lse[r];
  const float p = expf(log_p), one_minus_p = -expm1f(log_p);
  // f'(l) = -alpha ((1 - p)^gamma - gamma p l (1 - p)^(gamma - 1)); the second term tends
  // to 0 as p -> 1 for every gamma > 0 (written out it would be 0 * inf there).
  const float modulating_slope = gamma != 0.0f && one_minus_p > 0.0f
                                     ? gamma * p * log_p * powf(one_minus_p, gamma - 1.0f)
                                     : 0.0f;
  const float slope =
      -focal_alpha(params, alpha, y) * (powf(one_minus_p, gamma) - modulating_slope);
  const float g = to_float(grad_loss[r * grad_stride]) * scale * slope;
  for (int64_t k = threadIdx.x; k < classes; k += blockDim.x) {
    const float softmax = expf(to_float(z[k]) - lse[r]);
    grad[k] = from_float<T>(g * ((k == y ? 1.0f : 0.0f) - softmax));
  }
}

// Element offsets of linear index i for each of the loop's N operands (innermost dim last).
template <int N>
__device__ __forceinline__ void loop_offsets(const Loop<N>& loop, int64_t i, int64_t* offsets) {
#pragma unroll
  for (int op = 0; op < N; ++op) offsets[op] = 0;
  for (int d = loop.ndim - 1; d >= 0; --d) {
    const int64_t index = i % loop.sizes[d];
    i /= loop.sizes[d];
#pragma unroll
    for (int op = 0; op < N; ++op) offsets[op] += index * loop.strides[op][d];
  }
}

template <typename T>
__global__ void bce_with_logits_forward_kernel(Loop<5> loop, int64_t count, T* loss, const T* x,
                                               const T* target, const T* weight,
                                               const T* pos_weight) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += stride) {
    int64_t off[5];
    loop_offsets(loop, i, off);
    const float v = to_float(x[off[1]]), t = to_float(target[off[2]]);
    const float w = to_float(weight[off[3]]), pw = to_float(pos_weight[off[4]]);
    const float m = fmaxf(-v, 0.0f);
    const float softplus_neg = m + logf(expf(-m) + expf(-v - m));
    loss[off[0]] = from_float<T>(w * ((1.0f - t) * v + (1.0f + (pw - 1.0f) * t) * softplus_neg));
  }
}

template <typename T>
__global__ void bce_with_logits_backward_kernel(Loop<6> loop, int64_t count, float scale, T* grad_x,
                                                const T* grad_loss, const T* x, const T* target,
                                                const T* weight, const T* pos_weight) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += stride) {
    int64_t off[6];
    loop_offsets(loop, i, off);
    const float g = to_float(grad_loss[off[1]]), v = to_float(x[off[2]]);
    const float t = to_float(target[off[3]]), w = to_float(weight[off[4]]);
    const float pw = to_float(pos_weight[off[5]]);
    const float sigmoid = 1.0f / (1.0f + expf(-v));
    const float positive = pw * t;
    grad_x[off[0]] = from_float<T>(g * scale * w * ((positive + 1.0f - t) * sigmoid - positive));
  }
}

struct RowLaunch {
  dim3 grid, block;
};

RowLaunch row_launch(int64_t rows, int64_t cols) {
  if (cols <= 1024) return {dim3(static_cast<unsigned>((rows + 3) / 4)), dim3(32, 4)};
  return {dim3(static_cast<unsigned>(rows)), dim3(512, 1)};
}

unsigned grid_stride_blocks(int64_t n, int threads) {
  return static_cast<unsigned>(std::clamp<int64_t>((n + threads - 1) / threads, 1, 132 * 32));
}

}  // namespace

template <typename T>
void cross_entropy_forward(const ClassTargets<T>& targets, double label_smoothing, const T* logits,
                           T* loss, float* lse, cudaStream_t stream) {
  if (targets.rows == 0) return;
  const RowLaunch launch = row_launch(targets.rows, targets.classes);
  cross_entropy_forward_kernel<T><<<launch.grid, launch.block, 0, stream>>>(
      targets, static_cast<float>(label_smoothing), logits, loss, lse);
  ::fovea::check_launch("cross_entropy_forward_kernel");
}

template <typename T>
void cross_entropy_backward(const ClassTargets<T>& targets, double label_smoothing, const T* logits,
                            const float* lse, const T* grad_loss, int64_t grad_stride, double scale,
                            T* grad_logits, cudaStream_t stream) {
  if (targets.rows == 0 || targets.classes == 0) return;
  const RowLaunch launch = row_launch(targets.rows, targets.classes);
  cross_entropy_backward_kernel<T><<<launch.grid, launch.block, 0, stream>>>(
      targets, static_cast<float>(label_smoothing), logits, lse, grad_loss, grad_stride,
      static_cast<float>(scale), grad_logits);
  ::fovea::check_launch("cross_entropy_backward_kernel");
}

template <typename T>
void nll_forward(const ClassTargets<T>& targets, const T* log_probs, T* loss, cudaStream_t stream) {
  if (targets.rows == 0) return;
  nll_forward_kernel<T><<<static_cast<unsigned>((targets.rows + 255) / 256), 256, 0, stream>>>(
      targets, log_probs, loss);
  ::fovea::check_launch("nll_forward_kernel");
}

template <typename T>
void nll_backward(const ClassTargets<T>& targets, const T* grad_loss, int64_t grad_stride,
                  double scale, T* grad_log_probs, cudaStream_t stream) {
  const int64_t count = targets.rows * targets.classes;
  if (count == 0) return;
  nll_backward_kernel<T><<<grid_stride_blocks(count, 256), 256, 0, stream>>>(
      targets, grad_loss, grad_stride, static_cast<float>(scale), grad_log_probs);
  ::fovea::check_launch("nll_backward_kernel");
}

template <typename T>
void focal_forward(const ClassTargets<T>& targets, const FocalParams& params, const T* alpha,
                   const T* logits, T* loss, float* lse, cudaStream_t stream) {
  if (targets.rows == 0) return;
  const RowLaunch launch = row_launch(targets.rows, targets.classes);
  focal_forward_kernel<T>
      <<<launch.grid, launch.block, 0, stream>>>(targets, params, alpha, logits, loss, lse);
  ::fovea::check_launch("focal_forward_kernel");
}

template <typename T>
void focal_backward(const ClassTargets<T>& targets, const FocalParams& params, const T* alpha,
                    const T* logits, const float* lse, const T* grad_loss, int64_t grad_stride,
                    double scale, T* grad_logits, cudaStream_t stream) {
  if (targets.rows == 0 || targets.classes == 0) return;
  const RowLaunch launch = row_launch(targets.rows, targets.classes);
  focal_backward_kernel<T><<<launch.grid, launch.block, 0, stream>>>(
      targets, params, alpha, logits, lse, grad_loss, grad_stride, static_cast<float>(scale),
      grad_logits);
  ::fovea::check_launch("focal_backward_kernel");
}

template <typename T>
void bce_with_logits_forward(const Loop<5>& loop, T* loss, const T* x, const T* target,
                             const T* weight, const T* pos_weight, cudaStream_t stream) {
  const int64_t count = loop.numel();
  if (count == 0) return;
  bce_with_logits_forward_kernel<T><<<grid_stride_blocks(count, 256), 256, 0, stream>>>(
      loop, count, loss, x, target, weight, pos_weight);
  ::fovea::check_launch("bce_with_logits_forward_kernel");
}

template <typename T>
void bce_with_logits_backward(const Loop<6>& loop, double scale, T* grad_x, const T* grad_loss,
                              const T* x, const T* target, const T* weight, const T* pos_weight,
                              cudaStream_t stream) {
  const int64_t count = loop.numel();
  if (count == 0) return;
  bce_with_logits_backward_kernel<T><<<grid_stride_blocks(count, 256), 256, 0, stream>>>(
      loop, count, static_cast<float>(scale), grad_x, grad_loss, x, target, weight, pos_weight);
  ::fovea::check_launch("bce_with_logits_backward_kernel");
}

#define FOVEA_LOSS_INSTANCES(T)                                                                   \
  template void cross_entropy_forward<T>(const ClassTargets<T>&, double, const T*, T*, float*,    \
                                         cudaStream_t);                                           \
  template void cross_entropy_backward<T>(const ClassTargets<T>&, double, const T*, const float*, \
                                          const T*, int64_t, double, T*, cudaStream_t);           \
  template void nll_forward<T>(const ClassTargets<T>&, const T*, T*, cudaStream_t);               \
  template void nll_backward<T>(const ClassTargets<T>&, const T*, int64_t, double, T*,            \
                                cudaStream_t);                                                    \
  template void focal_forward<T>(const ClassTargets<T>&, const FocalParams&, const T*, const T*,  \
                                 T*, float*, cudaStream_t);                                       \
  template void focal_backward<T>(const ClassTargets<T>&, const FocalParams&, const T*, const T*, \
                                  const float*, const T*, int64_t, double, T*, cudaStream_t);     \
  template void bce_with_logits_forward<T>(const Loop<5>&, T*, const T*, const T*, const T*,      \
                                           const T*, cudaStream_t);                               \
  template void bce_with_logits_backward<T>(const Loop<6>&, double, T*, const T*, const T*,       \
                                            const T*, const T*, const T*, cudaStream_t);

FOVEA_LOSS_INSTANCES(float)
FOVEA_LOSS_INSTANCES(__half)
FOVEA_LOSS_INSTANCES(__nv_bfloat16)
#undef FOVEA_LOSS_INSTANCES

}  // namespace fovea::kernels::cuda
