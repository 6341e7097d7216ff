// CUDA elementwise kernels (kernels/cuda/elementwise.h).
//
// Math: out[i] = f(a[i], b[i]) (binary, compare, unary backward), out[i] = f(x[i]) (unary),
// out[i] = c[i] ? a[i] : b[i] (where), with the exact formulas of the CPU reference
// (kernels/cpu/elementwise.cpp), NaN handling included: max/min/clamp/relu6 are written
// as the same comparisons, not fmaxf/fminf (which drop NaN).
//
// Layout and design: operands are described by a Loop<N> (kernels/loop.h) passed by
// value. make_loop() has already merged every dim that is contiguous for all operands, so
// the same-shape contiguous case is one dim with unit strides: that case takes the
// vectorised kernel (map*_contiguous_kernel), where each thread moves one 16-byte pack
// per operand (4 f32 or 8 bf16) in a grid-stride loop, the tail done by scalar accesses.
// Everything else (broadcast operands, with stride 0; transposed or sliced views) takes
// the strided kernel, which turns the linear index into each operand's offset with one
// 64-bit div/mod per merged dim. The op is a runtime value held by a small functor (one
// switch per element, uniform across the warp): the kernels are memory-bound, and a
// template instance per op would multiply compile time by twenty for no bandwidth.
// 16-bit floats are loaded natively and computed in f32.
//
// Roofline (H100, 3.0 TB/s measured copy): ConvNeXt-T stage-1 activations, B=64 x 56 x
// 56 x 96 = 19.3M elements. add in bf16 reads 2 x 38.5 MB and writes 38.5 MB = 116 MB:
// 38 us floor; in f32 231 MB: 77 us. gelu in bf16 moves 77 MB: 26 us; its backward (read
// grad and x, write grad_x) 116 MB: 38 us. FLOPs (an erf is ~20) are at most ~0.4 GFLOP
// per call: far under the compute roof, so every kernel here is judged by GB/s.
#include "kernels/cuda/elementwise.h"

#include <cstdint>
#include <type_traits>

#include "kernels/cuda/check.h"
#include "kernels/cuda/device_helpers.cuh"
#include "kernels/cuda/loop.cuh"

namespace fovea::kernels::cuda {

using detail::compute_t;
using detail::kThreads;
using detail::load_compute;
using detail::Pack;
using detail::store_as;

namespace {

// Constants of GELU (Hendrycks & Gimpel, 2016), as in the CPU reference.
constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kGeluKappa = 0.044715f;
constexpr float kInvSqrt2 = 0.7071067811865476f;
constexpr float kInvSqrt2Pi = 0.3989422804014327f;

// The CPU's std::max / std::min, so that NaN propagates the same way.
template <typename C>
__device__ __forceinline__ C max_like(C a, C b) {
  return a < b ? b : a;
}
template <typename C>
__device__ __forceinline__ C min_like(C a, C b) {
  return b < a ? b : a;
}

__device__ __forceinline__ float sigmoid_of(float v) {
  return 1.0f / (1.0f + expf(-v));
}

// ---------------------------------------------------------------- functors

template <typename C>
struct BinaryFn {
  BinaryOp op;
  __device__ __forceinline__ C operator()(C x, C y) const {
    switch (op) {
      case BinaryOp::add:
        return C(x + y);
      case BinaryOp::sub:
        return C(x - y);
      case BinaryOp::mul:
        return C(x * y);
      case BinaryOp::add_relu: {
        const C sum = C(x + y);
        return sum > C(0) ? sum : C(0);
      }
      case BinaryOp::maximum:
        return (x != x || x > y) ? x : y;
      case BinaryOp::minimum:
        return (x != x || x < y) ? x : y;
      case BinaryOp::div:
        if constexpr (std::is_floating_point_v<C>) return x / y;
        break;
      case BinaryOp::pow:
        if constexpr (std::is_same_v<C, float>) return powf(x, y);
        if constexpr (std::is_same_v<C, double>) return pow(x, y);
        break;
    }
    return C(0);  // integer div/pow: refused by the launcher
  }
};

template <typename C>
struct CompareFn {
  CompareOp op;
  __device__ __forceinline__ bool operator()(C x, C y) const {
    switch (op) {
      case CompareOp::eq:
        return x == y;
      case CompareOp::ne:
        return x != y;
      case CompareOp::lt:
        return x < y;
      case CompareOp::le:
        return x <= y;
      case CompareOp::gt:
        return x > y;
      case CompareOp::ge:
        return x >= y;
    }
    return false;
  }
};

struct UnaryFn {
  UnaryOp op;
  float p, q;
  __device__ __forceinline__ float operator()(float v) const {
    switch (op) {
      case UnaryOp::neg:
        return -v;
      case UnaryOp::exp:
        return expf(v);
      case UnaryOp::log:
        return logf(v);
      case UnaryOp::sqrt:
        return sqrtf(v);
      case UnaryOp::rsqrt:
        return 1.0f / sqrtf(v);
      case UnaryOp::abs:
        return fabsf(v);
      case UnaryOp::sign:
        return static_cast<float>((v > 0.0f) - (v < 0.0f));
      case UnaryOp::reciprocal:
        return 1.0f / v;
      case UnaryOp::relu:
        return v > 0.0f ? v : 0.0f;
      case UnaryOp::relu6:
        return min_like(max_like(v, 0.0f), 6.0f);
      case UnaryOp::gelu_erf:
        return 0.5f * v * (1.0f + erff(v * kInvSqrt2));
      case UnaryOp::gelu_tanh:
        return 0.5f * v * (1.0f + tanhf(kSqrt2OverPi * (v + kGeluKappa * v * v * v)));
      case UnaryOp::silu:
        return v * sigmoid_of(v);
      case UnaryOp::sigmoid:
        return sigmoid_of(v);
      case UnaryOp::tanh:
        return tanhf(v);
      case UnaryOp::hardswish:
        return v * min_like(max_like(v + 3.0f, 0.0f), 6.0f) / 6.0f;
      case UnaryOp::hardsigmoid:
        return min_like(max_like(v + 3.0f, 0.0f), 6.0f) / 6.0f;
      case UnaryOp::softplus:
        return v * p > q ? v : log1pf(expf(v * p)) / p;
      case UnaryOp::clamp:
        return min_like(max_like(v, p), q);
      case UnaryOp::pow_scalar:
        return powf(v, p);
    }
    return v;
  }
};

// grad_x = g * f'(v), as the CPU reference writes each derivative.
struct UnaryBackwardFn {
  UnaryOp op;
  float p, q;
  __device__ __forceinline__ float derivative(float v) const {
    switch (op) {
      case UnaryOp::neg:
        return -1.0f;
      case UnaryOp::exp:
        return expf(v);
      case UnaryOp::log:
        return 1.0f / v;
      case UnaryOp::sqrt:
        return 0.5f / sqrtf(v);
      case UnaryOp::rsqrt:
        return -0.5f / (v * sqrtf(v));
      case UnaryOp::abs:
        return static_cast<float>((v > 0.0f) - (v < 0.0f));
      case UnaryOp::sign:
        return 0.0f;
      case UnaryOp::reciprocal:
        return -1.0f / (v * v);
      case UnaryOp::relu:
        return v > 0.0f ? 1.0f : 0.0f;
      case UnaryOp::relu6:
        return (v > 0.0f && v < 6.0f) ? 1.0f : 0.0f;
      case UnaryOp::gelu_erf: {
        const float cdf = 0.5f * (1.0f + erff(v * kInvSqrt2));
        const float pdf = kInvSqrt2Pi * expf(-0.5f * v * v);
        return cdf + v * pdf;
      }
      case UnaryOp::gelu_tanh: {
        const float inner = kSqrt2OverPi * (v + kGeluKappa * v * v * v);
        const float t = tanhf(inner);
        const float d_inner = kSqrt2OverPi * (1.0f + 3.0f * kGeluKappa * v * v);
        return 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * d_inner;
      }
      case UnaryOp::silu: {
        const float s = sigmoid_of(v);
        return s * (1.0f + v * (1.0f - s));
      }
      case UnaryOp::sigmoid: {
        const float s = sigmoid_of(v);
        return s * (1.0f - s);
      }
      case UnaryOp::tanh: {
        const float t = tanhf(v);
        return 1.0f - t * t;
      }
      case UnaryOp::hardswish:
        return v < -3.0f ? 0.0f : (v <= 3.0f ? v / 3.0f + 0.5f : 1.0f);
      case UnaryOp::hardsigmoid:
        return (v > -3.0f && v < 3.0f) ? 1.0f / 6.0f : 0.0f;
      case UnaryOp::softplus: {
        if (v * p > q) return 1.0f;
        const float z = expf(v * p);
        return z / (z + 1.0f);
      }
      case UnaryOp::clamp:
        return (v >= p && v <= q) ? 1.0f : 0.0f;
      case UnaryOp::pow_scalar:
        return p == 0.0f ? 0.0f : p * powf(v, p - 1.0f);
    }
    return 0.0f;
  }
  __device__ __forceinline__ float operator()(float g, float v) const { return g * derivative(v); }
};

// ---------------------------------------------------------------- kernels

// out[i] = f(a[i], b[i]) over n contiguous elements, K per thread per step in packs.
template <typename Out, typename A, int K, typename F>
__global__ void map2_contiguous_kernel(int64_t n, Out* __restrict__ out, const A* __restrict__ a,
                                       const A* __restrict__ b, F f) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t packs = n / K;
  for (int64_t p = first; p < packs; p += stride) {
    const Pack<A, K> va = reinterpret_cast<const Pack<A, K>*>(a)[p];
    const Pack<A, K> vb = reinterpret_cast<const Pack<A, K>*>(b)[p];
    Pack<Out, K> vo;
#pragma unroll
    for (int k = 0; k < K; ++k) {
      vo.v[k] = store_as<Out>(f(load_compute(va.v[k]), load_compute(vb.v[k])));
    }
    reinterpret_cast<Pack<Out, K>*>(out)[p] = vo;
  }
  for (int64_t i = packs * K + first; i < n; i += stride) {
    out[i] = store_as<Out>(f(load_compute(a[i]), load_compute(b[i])));
  }
}

// out = f(a, b) at every index of `loop` (operands 0, 1, 2 = out, a, b).
template <typename Out, typename A, typename F>
__global__ void map2_strided_kernel(Loop<3> loop, int64_t n, Out* out, const A* a, const A* b,
                                    F f) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    int64_t off[3];
    detail::loop_offsets(loop, i, off);
    out[off[0]] = store_as<Out>(f(load_compute(a[off[1]]), load_compute(b[off[2]])));
  }
}

template <typename T, int K, typename F>
__global__ void map1_contiguous_kernel(int64_t n, T* __restrict__ out, const T* __restrict__ x,
                                       F f) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t packs = n / K;
  for (int64_t p = first; p < packs; p += stride) {
    const Pack<T, K> vx = reinterpret_cast<const Pack<T, K>*>(x)[p];
    Pack<T, K> vo;
#pragma unroll
    for (int k = 0; k < K; ++k) vo.v[k] = store_as<T>(f(load_compute(vx.v[k])));
    reinterpret_cast<Pack<T, K>*>(out)[p] = vo;
  }
  for (int64_t i = packs * K + first; i < n; i += stride) {
    out[i] = store_as<T>(f(load_compute(x[i])));
  }
}

template <typename T, typename F>
__global__ void map1_strided_kernel(Loop<2> loop, int64_t n, T* out, const T* x, F f) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    int64_t off[2];
    detail::loop_offsets(loop, i, off);
    out[off[0]] = store_as<T>(f(load_compute(x[off[1]])));
  }
}

// out = cond ? a : b; a plain copy of the chosen element, no arithmetic.
template <typename T>
__global__ void where_kernel(Loop<4> loop, int64_t n, T* out, const bool* cond, const T* a,
                             const T* b) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    int64_t off[4];
    detail::loop_offsets(loop, i, off);
    out[off[0]] = cond[off[1]] ? a[off[2]] : b[off[3]];
  }
}

// ---------------------------------------------------------------- launch helpers

template <typename Out, typename A, typename F>
void launch_map2(const Loop<3>& loop, Out* out, const A* a, const A* b, F f, cudaStream_t stream,
                 const char* name) {
  const int64_t n = detail::loop_numel(loop);
  if (n == 0) return;
  constexpr int K = detail::kVec16<A, Out>;
  if (detail::loop_is_contiguous(loop) && detail::aligned_to(out, sizeof(Pack<Out, K>)) &&
      detail::aligned_to(a, sizeof(Pack<A, K>)) && detail::aligned_to(b, sizeof(Pack<A, K>))) {
    map2_contiguous_kernel<Out, A, K, F>
        <<<detail::grid_stride_blocks((n + K - 1) / K), kThreads, 0, stream>>>(n, out, a, b, f);
  } else {
    map2_strided_kernel<Out, A, F>
        <<<detail::grid_stride_blocks(n), kThreads, 0, stream>>>(loop, n, out, a, b, f);
  }
  ::fovea::check_launch(name);
}

}  // namespace

// ---------------------------------------------------------------- launchers

template <typename T>
void binary(BinaryOp op, const Loop<3>& loop, T* out, const T* a, const T* b, cudaStream_t stream) {
  using C = compute_t<T>;
  if constexpr (!std::is_floating_point_v<C>) {
    if (op == BinaryOp::div || op == BinaryOp::pow) {
      ::fovea::cuda_kernel_error("elementwise binary: div and pow are not defined for integer tensors");
    }
  }
  launch_map2(loop, out, a, b, BinaryFn<C>{op}, stream, "binary_kernel");
}

template <typename T>
void compare(CompareOp op, const Loop<3>& loop, bool* out, const T* a, const T* b,
             cudaStream_t stream) {
  launch_map2(loop, out, a, b, CompareFn<compute_t<T>>{op}, stream, "compare_kernel");
}

template <typename T>
void unary(UnaryOp op, UnaryParams params, const Loop<2>& loop, T* out, const T* x,
           cudaStream_t stream) {
  const int64_t n = detail::loop_numel(loop);
  if (n == 0) return;
  const UnaryFn f{op, static_cast<float>(params.a), static_cast<float>(params.b)};
  constexpr int K = detail::kVec16<T>;
  if (detail::loop_is_contiguous(loop) && detail::aligned_to(out, 16) &&
      detail::aligned_to(x, 16)) {
    map1_contiguous_kernel<T, K, UnaryFn>
        <<<detail::grid_stride_blocks((n + K - 1) / K), kThreads, 0, stream>>>(n, out, x, f);
  } else {
    map1_strided_kernel<T, UnaryFn>
        <<<detail::grid_stride_blocks(n), kThreads, 0, stream>>>(loop, n, out, x, f);
  }
  ::fovea::check_launch("unary_kernel");
}

template <typename T>
void unary_backward(UnaryOp op, UnaryParams params, const Loop<3>& loop, T* grad_x, const T* grad_y,
                    const T* x, cudaStream_t stream) {
  const UnaryBackwardFn f{op, static_cast<float>(params.a), static_cast<float>(params.b)};
  launch_map2(loop, grad_x, grad_y, x, f, stream, "unary_backward_kernel");
}

template <typename T>
void where(const Loop<4>& loop, T* out, const bool* cond, const T* a, const T* b,
           cudaStream_t stream) {
  const int64_t n = detail::loop_numel(loop);
  if (n == 0) return;
  where_kernel<T><<<detail::grid_stride_blocks(n), kThreads, 0, stream>>>(loop, n, out, cond, a, b);
  ::fovea::check_launch("where_kernel");
}

template void binary<float>(BinaryOp, const Loop<3>&, float*, const float*, const float*,
                            cudaStream_t);
template void binary<double>(BinaryOp, const Loop<3>&, double*, const double*, const double*,
                             cudaStream_t);
template void binary<__half>(BinaryOp, const Loop<3>&, __half*, const __half*, const __half*,
                             cudaStream_t);
template void binary<__nv_bfloat16>(BinaryOp, const Loop<3>&, __nv_bfloat16*, const __nv_bfloat16*,
                                    const __nv_bfloat16*, cudaStream_t);
template void binary<int32_t>(BinaryOp, const Loop<3>&, int32_t*, const int32_t*, const int32_t*,
                              cudaStream_t);
template void binary<int64_t>(BinaryOp, const Loop<3>&, int64_t*, const int64_t*, const int64_t*,
                              cudaStream_t);

template void compare<float>(CompareOp, const Loop<3>&, bool*, const float*, const float*,
                             cudaStream_t);
template void compare<double>(CompareOp, const Loop<3>&, bool*, const double*, const double*,
                              cudaStream_t);
template void compare<__half>(CompareOp, const Loop<3>&, bool*, const __half*, const __half*,
                              cudaStream_t);
template void compare<__nv_bfloat16>(CompareOp, const Loop<3>&, bool*, const __nv_bfloat16*,
                                     const __nv_bfloat16*, cudaStream_t);
template void compare<int32_t>(CompareOp, const Loop<3>&, bool*, const int32_t*, const int32_t*,
                               cudaStream_t);
template void compare<int64_t>(CompareOp, const Loop<3>&, bool*, const int64_t*, const int64_t*,
                               cudaStream_t);
template void compare<uint8_t>(CompareOp, const Loop<3>&, bool*, const uint8_t*, const uint8_t*,
                               cudaStream_t);
template void compare<bool>(CompareOp, const Loop<3>&, bool*, const bool*, const bool*,
                            cudaStream_t);

template void unary<float>(UnaryOp, UnaryParams, const Loop<2>&, float*, const float*,
                           cudaStream_t);
template void unary<__half>(UnaryOp, UnaryParams, const Loop<2>&, __half*, const __half*,
                            cudaStream_t);
template void unary<__nv_bfloat16>(UnaryOp, UnaryParams, const Loop<2>&, __nv_bfloat16*,
                                   const __nv_bfloat16*, cudaStream_t);
template void unary_backward<float>(UnaryOp, UnaryParams, const Loop<3>&, float*, const float*,
                                    const float*, cudaStream_t);
template void unary_backward<__half>(UnaryOp, UnaryParams, const Loop<3>&, __half*, const __half*,
                                     const __half*, cudaStream_t);
template void unary_backward<__nv_bfloat16>(UnaryOp, UnaryParams, const Loop<3>&, __nv_bfloat16*,
                                            const __nv_bfloat16*, const __nv_bfloat16*,
                                            cudaStream_t);

template void where<float>(const Loop<4>&, float*, const bool*, const float*, const float*,
                           cudaStream_t);
template void where<double>(const Loop<4>&, double*, const bool*, const double*, const double*,
                            cudaStream_t);
template void where<__half>(const Loop<4>&, __half*, const bool*, const __half*, const __half*,
                            cudaStream_t);
template void where<__nv_bfloat16>(const Loop<4>&, __nv_bfloat16*, const bool*,
                                   const __nv_bfloat16*, const __nv_bfloat16*, cudaStream_t);
template void where<int32_t>(const Loop<4>&, int32_t*, const bool*, const int32_t*, const int32_t*,
                             cudaStream_t);
template void where<int64_t>(const Loop<4>&, int64_t*, const bool*, const int64_t*, const int64_t*,
                             cudaStream_t);
template void where<uint8_t>(const Loop<4>&, uint8_t*, const bool*, const uint8_t*, const uint8_t*,
                             cudaStream_t);
template void where<bool>(const Loop<4>&, bool*, const bool*, const bool*, const bool*,
                          cudaStream_t);

}  // namespace fovea::kernels::cuda
