// CUDA 2-D pooling over NHWC (kernels/cuda/pool.h).
//
// Math: max / average over each output's window [begin, end) of rows and columns (the
// host's PoolWindows: strided windows with padding, ceil_mode and count_include_pad, or
// adaptive windows), averaged by the window's divisor; backward routes each output
// gradient to the argmax (max) or spreads g / divisor over the window (average).
//
// Design: channels are innermost in NHWC, so a thread per output element with the
// channel as the fastest index makes every window read a coalesced row of channels. The
// backward is a gather, not a scatter: a thread per input element sums the gradients of
// the outputs whose windows cover it (the host precomputes, per input row and column,
// that range of outputs, [first, last): windows are monotone, so it is contiguous). No
// atomics, deterministic, and the additions run in the CPU's order (outputs ascending),
// in f32 for every storage type.
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

template <typename T>
__global__ void max_pool2d_forward_kernel(PoolShape s, DeviceWindows rows, DeviceWindows cols,
                                          const T* __restrict__ x, T* y, int64_t* indices) {
  const int64_t total = s.batch * s.out_h * s.out_w * s.channels;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < total;
       k += stride) {
    const auto [n, oh, ow, c] = detail::nhwc_index(k, s.out_h, s.out_w, s.channels);
    const T* image = x + n * s.in_h * s.in_w * s.channels + c;
    float best = -__int_as_float(0x7f800000);  // -inf
    int64_t best_at = rows.begin[oh] * s.in_w + cols.begin[ow];
    for (int64_t ih = rows.begin[oh]; ih < rows.end[oh]; ++ih) {
      for (int64_t iw = cols.begin[ow]; iw < cols.end[ow]; ++iw) {
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
__global__ void avg_pool2d_forward_kernel(PoolShape s, DeviceWindows rows, DeviceWindows cols,
                                          const T* __restrict__ x, T* y) {
  const int64_t total = s.batch * s.out_h * s.out_w * s.channels;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < total;
       k += stride) {
    const auto [n, oh, ow, c] = detail::nhwc_index(k, s.out_h, s.out_w, s.channels);
    const T* image = x + n * s.in_h * s.in_w * s.channels + c;
    float total_value = 0.0f;
    for (int64_t ih = rows.begin[oh]; ih < rows.end[oh]; ++ih) {
      for (int64_t iw = cols.begin[ow]; iw < cols.end[ow]; ++iw) {
        total_value += load_compute(image[(ih * s.in_w + iw) * s.channels]);
      }
    }
    y[k] = store_as<T>(total_value / static_cast<float>(rows.divisor[oh] * cols.divisor[ow]));
  }
}

template <typename T>
__global__ void max_pool2d_backward_kernel(PoolShape s, DeviceWindows rows, DeviceWindows cols,
                                           const T* __restrict__ grad_y,
                                           const int64_t* __restrict__ indices, T* grad_x) {
  const int64_t total = s.batch * s.in_h * s.in_w * s.channels;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < total;
       k += stride) {
    const auto [n, ih, iw, c] = detail::nhwc_index(k, s.in_h, s.in_w, s.channels);
    const int64_t at = ih * s.in_w + iw;
    const int64_t out_base = n * s.out_h * s.out_w;
    float sum = 0.0f;
    for (int64_t oh = rows.first[ih]; oh < rows.last[ih]; ++oh) {
      for (int64_t ow = cols.first[iw]; ow < cols.last[iw]; ++ow) {
        const int64_t o = ((out_base + oh * s.out_w + ow) * s.channels) + c;
        if (indices[o] == at) sum += load_compute(grad_y[o]);
      }
    }
    grad_x[k] = store_as<T>(sum);
  }
}

template <typename T>
__global__ void avg_pool2d_backward_kernel(PoolShape s, DeviceWindows rows, DeviceWindows cols,
                                           const T* __restrict__ grad_y, T* grad_x) {
  const int64_t total = s.batch * s.in_h * s.in_w * s.channels;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < total;
       k += stride) {
    const auto [n, ih, iw, c] = detail::nhwc_index(k, s.in_h, s.in_w, s.channels);
    const int64_t out_base = n * s.out_h * s.out_w;
    float sum = 0.0f;
    for (int64_t oh = rows.first[ih]; oh < rows.last[ih]; ++oh) {
      for (int64_t ow = cols.first[iw]; ow < cols.last[iw]; ++ow) {
        const int64_t o = ((out_base + oh * s.out_w + ow) * s.channels) + c;
        sum += load_compute(grad_y[o]) / static_cast<float>(rows.divisor[oh] * cols.divisor[ow]);
      }
    }
    grad_x[k] = store_as<T>(sum);
  }
}

}  // namespace

template <typename T>
void max_pool2d_forward(const PoolShape& shape, DeviceWindows rows, DeviceWindows cols, const T* x,
                        T* y, int64_t* indices, cudaStream_t stream) {
  const int64_t total = shape.batch * shape.out_h * shape.out_w * shape.channels;
  if (total == 0) return;
  max_pool2d_forward_kernel<T><<<detail::grid_stride_blocks(total), kThreads, 0, stream>>>(
      shape, rows, cols, x, y, indices);
  ::fovea::check_launch("max_pool2d_forward_kernel");
}

template <typename T>
void max_pool2d_backward(const PoolShape& shape, DeviceWindows rows, DeviceWindows cols,
                         const T* grad_y, const int64_t* indices, T* grad_x, cudaStream_t stream) {
  const int64_t total = shape.batch * shape.in_h * shape.in_w * shape.channels;
  if (total == 0) return;
  max_pool2d_backward_kernel<T><<<detail::grid_stride_blocks(total), kThreads, 0, stream>>>(
      shape, rows, cols, grad_y, indices, grad_x);
  ::fovea::check_launch("max_pool2d_backward_kernel");
}

template <typename T>
void avg_pool2d_forward(const PoolShape& shape, DeviceWindows rows, DeviceWindows cols, const T* x,
                        T* y, cudaStream_t stream) {
  const int64_t total = shape.batch * shape.out_h * shape.out_w * shape.channels;
  if (total == 0) return;
  avg_pool2d_forward_kernel<T>
      <<<detail::grid_stride_blocks(total), kThreads, 0, stream>>>(shape, rows, cols, x, y);
  ::fovea::check_launch("avg_pool2d_forward_kernel");
}

template <typename T>
void avg_pool2d_backward(const PoolShape& shape, DeviceWindows rows, DeviceWindows cols,
                         const T* grad_y, T* grad_x, cudaStream_t stream) {
  const int64_t total = shape.batch * shape.in_h * shape.in_w * shape.channels;
  if (total == 0) return;
  avg_pool2d_backward_kernel<T><<<detail::grid_stride_blocks(total), kThreads, 0, stream>>>(
      shape, rows, cols, grad_y, grad_x);
  ::fovea::check_launch("avg_pool2d_backward_kernel");
}

template void max_pool2d_forward<float>(const PoolShape&, DeviceWindows, DeviceWindows,
                                        const float*, float*, int64_t*, cudaStream_t);
template void max_pool2d_backward<float>(const PoolShape&, DeviceWindows, DeviceWindows,
                                         const float*, const int64_t*, float*, cudaStream_t);
template void avg_pool2d_forward<float>(const PoolShape&, DeviceWindows, DeviceWindows,
                                        const float*, float*, cudaStream_t);
template void avg_pool2d_backward<float>(const PoolShape&, DeviceWindows, DeviceWindows,
                                         const float*, float*, cudaStream_t);

template void max_pool2d_forward<__half>(const PoolShape&, DeviceWindows, DeviceWindows,
                                         const __half*, __half*, int64_t*, cudaStream_t);
template void max_pool2d_backward<__half>(const PoolShape&, DeviceWindows, DeviceWindows,
                                          const __half*, const int64_t*, __half*, cudaStream_t);
template void avg_pool2d_forward<__half>(const PoolShape&, DeviceWindows, DeviceWindows,
                                         const __half*, __half*, cudaStream_t);
template void avg_pool2d_backward<__half>(const PoolShape&, DeviceWindows, DeviceWindows,
                                          const __half*, __half*, cudaStream_t);

template void max_pool2d_forward<__nv_bfloat16>(const PoolShape&, DeviceWindows, DeviceWindows,
                                                const __nv_bfloat16*, __nv_bfloat16*, int64_t*,
                                                cudaStream_t);
template void max_pool2d_backward<__nv_bfloat16>(const PoolShape&, DeviceWindows, DeviceWindows,
                                                 const __nv_bfloat16*, const int64_t*,
                                                 __nv_bfloat16*, cudaStream_t);
template void avg_pool2d_forward<__nv_bfloat16>(const PoolShape&, DeviceWindows, DeviceWindows,
                                                const __nv_bfloat16*, __nv_bfloat16*, cudaStream_t);
template void avg_pool2d_backward<__nv_bfloat16>(const PoolShape&, DeviceWindows, DeviceWindows,
                                                 const __nv_bfloat16*, __nv_bfloat16*,
                                                 cudaStream_t);

}  // namespace fovea::kernels::cuda
