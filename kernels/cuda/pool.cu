// CUDA 2-D pooling over NHWC (kernels/cuda/pool.h).
//
// Math: max / average over each output's window [begin, end) of rows and columns (the
// host's PoolWindows: strided windows with padding, ceil_mode and count_include_pad, or
// adaptive windows), averaged by the window's divisor; backward routes each output
// gradient to the argmax (max) or spreads g / divisor over the window (average).
//
// Design: channels are innermost in NHWC, so a thread per output element with the
// channel as the fastest index makes every window read a coalesced row of channels. The
// windows come in closed form from each axis's PoolAxis (the formulas of pool_windows and
// adaptive_pool_windows in kernels/cpu/pool.cpp), so the host uploads no table and never
// blocks. The backward is a gather, not a scatter: a thread per input element sums the
// gradients of the outputs whose windows cover it, the range [first, last) of outputs
// (windows are monotone in the output index, so it is contiguous; two binary searches
// over the outputs find it). No atomics, deterministic, and the additions run in the CPU's order
// (outputs ascending), in f32 for every storage type.
//
// Roofline (H100, 3.0 TB/s): ResNet-50's stem max_pool 3x3/2 on 64 x 112 x 112 x 64 bf16
// reads 103 MB and writes 26 MB (+ 205 MB of i64 indices): 111 us floor with indices, the
// indices dominating. The classifier's adaptive_avg_pool2d of [64, 7, 7, 768] reads 4.8 MB:
// 1.6 us, latency-bound.
#include "kernels/cuda/pool.h"

#include <cstdint>

#include "kernels/cuda/check.h"
#include "kernels/cuda/device_helpers.cuh"

namespace fovea::kernels::cuda {

namespace {

using detail::kThreads;
using detail::load_compute;
using detail::store_as;

// Output o's window along one axis: inputs [begin, end), averaged with `divisor`. The
// same arithmetic as pool_windows / adaptive_pool_windows (kernels/cpu/pool.cpp).
struct AxisWindow {
  int64_t begin, end, divisor;
};

__device__ __forceinline__ AxisWindow window_of(const PoolAxis& a, int64_t o) {
  if (a.adaptive) {
    const int64_t begin = o * a.in / a.out, end = ((o + 1) * a.in + a.out - 1) / a.out;
    return {begin, end, end - begin};
  }
  const int64_t start = o * a.stride - a.pad;
  const int64_t padded_end = min(start + a.kernel, a.in + a.pad);
  const int64_t begin = max(start, int64_t{0}), end = min(padded_end, a.in);
  return {begin, end, a.count_include_pad ? padded_end - start : end - begin};
}

// The outputs whose windows cover input i: [first, last), where first is the first output
// whose window ends after i and last the first whose window begins after i (both bounds
// are monotone in the output index). Empty when no window covers i.
struct OutputRange {
  int64_t first, last;
};

__device__ __forceinline__ OutputRange outputs_covering(const PoolAxis& a, int64_t i) {
  int64_t lo = 0, hi = a.out;
  while (lo < hi) {
    const int64_t mid = (lo + hi) / 2;
    if (window_of(a, mid).end > i)
      hi = mid;
    else
      lo = mid + 1;
  }
  const int64_t first = lo;
  hi = a.out;
  while (lo < hi) {
    const int64_t mid = (lo + hi) / 2;
    if (window_of(a, mid).begin > i)
      hi = mid;
    else
      lo = mid + 1;
  }
  return {first, lo};
}

template <typename T>
__global__ void max_pool2d_forward_kernel(PoolShape s, PoolAxis rows, PoolAxis cols,
                                          const T* __restrict__ x, T* y, int64_t* indices) {
  const int64_t total = s.batch * s.out_h * s.out_w * s.channels;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < total;
       k += stride) {
    const auto [n, oh, ow, c] = detail::nhwc_index(k, s.out_h, s.out_w, s.channels);
    const T* image = x + n * s.in_h * s.in_w * s.channels + c;
    const AxisWindow wr = window_of(rows, oh), wc = window_of(cols, ow);
    float best = -__int_as_float(0x7f800000);  // -inf
    int64_t best_at = wr.begin * s.in_w + wc.begin;
    for (int64_t ih = wr.begin; ih < wr.end; ++ih) {
      for (int64_t iw = wc.begin; iw < wc.end; ++iw) {
        const float v = load_compute(image[(ih * s.in_w + iw) * s.channels]);
        if (v > best || v != v) {  // the CPU's test: a later NaN replaces an earlier one
          best = v;
          best_at = ih * s.in_w + iw;
        }
      }
    }
    y[k] = store_as<T>(best);
    indices[k] = best_at;
  }
}

template <typename T>
__global__ void avg_pool2d_forward_kernel(PoolShape s, PoolAxis rows, PoolAxis cols,
                                          const T* __restrict__ x, T* y) {
  const int64_t total = s.batch * s.out_h * s.out_w * s.channels;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < total;
       k += stride) {
    const auto [n, oh, ow, c] = detail::nhwc_index(k, s.out_h, s.out_w, s.channels);
    const T* image = x + n * s.in_h * s.in_w * s.channels + c;
    const AxisWindow wr = window_of(rows, oh), wc = window_of(cols, ow);
    float total_value = 0.0f;
    for (int64_t ih = wr.begin; ih < wr.end; ++ih) {
      for (int64_t iw = wc.begin; iw < wc.end; ++iw) {
        total_value += load_compute(image[(ih * s.in_w + iw) * s.channels]);
      }
    }
    y[k] = store_as<T>(total_value / static_cast<float>(wr.divisor * wc.divisor));
  }
}

template <typename T>
__global__ void max_pool2d_backward_kernel(PoolShape s, PoolAxis rows, PoolAxis cols,
                                           const T* __restrict__ grad_y,
                                           const int64_t* __restrict__ indices, T* grad_x) {
  const int64_t total = s.batch * s.in_h * s.in_w * s.channels;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < total;
       k += stride) {
    const auto [n, ih, iw, c] = detail::nhwc_index(k, s.in_h, s.in_w, s.channels);
    const int64_t at = ih * s.in_w + iw;
    const int64_t out_base = n * s.out_h * s.out_w;
    const OutputRange r = outputs_covering(rows, ih), q = outputs_covering(cols, iw);
    float sum = 0.0f;
    for (int64_t oh = r.first; oh < r.last; ++oh) {
      for (int64_t ow = q.first; ow < q.last; ++ow) {
        const int64_t o = ((out_base + oh * s.out_w + ow) * s.channels) + c;
        if (indices[o] == at) sum += load_compute(grad_y[o]);
      }
    }
    grad_x[k] = store_as<T>(sum);
  }
}

template <typename T>
__global__ void avg_pool2d_backward_kernel(PoolShape s, PoolAxis rows, PoolAxis cols,
                                           const T* __restrict__ grad_y, T* grad_x) {
  const int64_t total = s.batch * s.in_h * s.in_w * s.channels;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < total;
       k += stride) {
    const auto [n, ih, iw, c] = detail::nhwc_index(k, s.in_h, s.in_w, s.channels);
    const int64_t out_base = n * s.out_h * s.out_w;
    const OutputRange r = outputs_covering(rows, ih), q = outputs_covering(cols, iw);
    float sum = 0.0f;
    for (int64_t oh = r.first; oh < r.last; ++oh) {
      const int64_t divisor_h = window_of(rows, oh).divisor;
      for (int64_t ow = q.first; ow < q.last; ++ow) {
        const int64_t o = ((out_base + oh * s.out_w + ow) * s.channels) + c;
        sum +=
            load_compute(grad_y[o]) / static_cast<float>(divisor_h * window_of(cols, ow).divisor);
      }
    }
    grad_x[k] = store_as<T>(sum);
  }
}

}  // namespace

template <typename T>
void max_pool2d_forward(const PoolShape& shape, PoolAxis rows, PoolAxis cols, const T* x, T* y,
                        int64_t* indices, cudaStream_t stream) {
  const int64_t total = shape.batch * shape.out_h * shape.out_w * shape.channels;
  if (total == 0) return;
  max_pool2d_forward_kernel<T><<<detail::grid_stride_blocks(total), kThreads, 0, stream>>>(
      shape, rows, cols, x, y, indices);
  ::fovea::check_launch("max_pool2d_forward_kernel");
}

template <typename T>
void max_pool2d_backward(const PoolShape& shape, PoolAxis rows, PoolAxis cols, const T* grad_y,
                         const int64_t* indices, T* grad_x, cudaStream_t stream) {
  const int64_t total = shape.batch * shape.in_h * shape.in_w * shape.channels;
  if (total == 0) return;
  max_pool2d_backward_kernel<T><<<detail::grid_stride_blocks(total), kThreads, 0, stream>>>(
      shape, rows, cols, grad_y, indices, grad_x);
  ::fovea::check_launch("max_pool2d_backward_kernel");
}

template <typename T>
void avg_pool2d_forward(const PoolShape& shape, PoolAxis rows, PoolAxis cols, const T* x, T* y,
                        cudaStream_t stream) {
  const int64_t total = shape.batch * shape.out_h * shape.out_w * shape.channels;
  if (total == 0) return;
  avg_pool2d_forward_kernel<T>
      <<<detail::grid_stride_blocks(total), kThreads, 0, stream>>>(shape, rows, cols, x, y);
  ::fovea::check_launch("avg_pool2d_forward_kernel");
}

template <typename T>
void avg_pool2d_backward(const PoolShape& shape, PoolAxis rows, PoolAxis cols, const T* grad_y,
                         T* grad_x, cudaStream_t stream) {
  const int64_t total = shape.batch * shape.in_h * shape.in_w * shape.channels;
  if (total == 0) return;
  avg_pool2d_backward_kernel<T><<<detail::grid_stride_blocks(total), kThreads, 0, stream>>>(
      shape, rows, cols, grad_y, grad_x);
  ::fovea::check_launch("avg_pool2d_backward_kernel");
}

template void max_pool2d_forward<float>(const PoolShape&, PoolAxis, PoolAxis, const float*, float*,
                                        int64_t*, cudaStream_t);
template void max_pool2d_backward<float>(const PoolShape&, PoolAxis, PoolAxis, const float*,
                                         const int64_t*, float*, cudaStream_t);
template void avg_pool2d_forward<float>(const PoolShape&, PoolAxis, PoolAxis, const float*, float*,
                                        cudaStream_t);
template void avg_pool2d_backward<float>(const PoolShape&, PoolAxis, PoolAxis, const float*, float*,
                                         cudaStream_t);

template void max_pool2d_forward<__half>(const PoolShape&, PoolAxis, PoolAxis, const __half*,
                                         __half*, int64_t*, cudaStream_t);
template void max_pool2d_backward<__half>(const PoolShape&, PoolAxis, PoolAxis, const __half*,
                                          const int64_t*, __half*, cudaStream_t);
template void avg_pool2d_forward<__half>(const PoolShape&, PoolAxis, PoolAxis, const __half*,
                                         __half*, cudaStream_t);
template void avg_pool2d_backward<__half>(const PoolShape&, PoolAxis, PoolAxis, const __half*,
                                          __half*, cudaStream_t);

template void max_pool2d_forward<__nv_bfloat16>(const PoolShape&, PoolAxis, PoolAxis,
                                                const __nv_bfloat16*, __nv_bfloat16*, int64_t*,
                                                cudaStream_t);
template void max_pool2d_backward<__nv_bfloat16>(const PoolShape&, PoolAxis, PoolAxis,
                                                 const __nv_bfloat16*, const int64_t*,
                                                 __nv_bfloat16*, cudaStream_t);
template void avg_pool2d_forward<__nv_bfloat16>(const PoolShape&, PoolAxis, PoolAxis,
                                                const __nv_bfloat16*, __nv_bfloat16*, cudaStream_t);
template void avg_pool2d_backward<__nv_bfloat16>(const PoolShape&, PoolAxis, PoolAxis,
                                                 const __nv_bfloat16*, __nv_bfloat16*,
                                                 cudaStream_t);

}  // namespace fovea::kernels::cuda
