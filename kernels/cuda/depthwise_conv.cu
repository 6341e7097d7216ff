// Depthwise 2-D convolution in NHWC (kernels/cuda/conv.h; docs/kernels/depthwise_conv2d.md).
//
// Math: y[n,oh,ow,c] = bias[c] + sum_{kh,kw} x[n, oh*S-P+kh, ow*S-P+kw, c] w[c,kh,kw]
// (zero outside the image), K in {3, 5, 7}, S in {1, 2}. Backward-data is the same sum
// read the other way, backward-weight a reduction over every (n, oh, ow) per (c, tap).
//
// Layout: NHWC makes the channel the contiguous dim, so every kernel puts channels across
// the threads of a warp (coalesced) and, when C is a multiple of the vector width and the
// pointers are 16-byte aligned, each thread moves one 16-byte vector: 4 f32 or 8 bf16/f16
// channels (V). Otherwise V = 1. Arithmetic and accumulation are f32 for every dtype.
//
// Forward (and backward-data at stride 1, which is the forward of grad_y with the kernel
// flipped and padding K-1-P): a block computes an output tile of TH=8 rows x TW columns
// (TW = 8, or 4 when V = 8, so that a thread holds 32 accumulators) for CS channels
// (8 vectors, or 32 scalars). The input tile it needs, ((TH-1)S+K) x ((TW-1)S+K) pixels x
// CS channels, is loaded once into shared memory in the storage dtype (16-byte copies,
// zeros for the padding), the block's weights as f32 [tap][channel]. Thread (cv, ty)
// computes output row ty for its channel vector: per kernel row it keeps the K weights in
// registers and slides along the shared-memory row, each input vector feeding every
// output of the row that uses it.
//
// Backward-data at stride 2: a direct gather per (input pixel, channel vector) over the
// taps whose output position is on the stride grid (at most ceil(K/2)^2 of them), grad_y
// read from global memory (its rows are reused through L1/L2).
//
// Backward-weight: block (channel block, chunk of consecutive output rows of the batch),
// thread (cv, kh) accumulates the K taps of kernel row kh for its channels over the chunk,
// sliding a register window of K input vectors along each row (S new vectors per step).
// Each block writes its partial sums, f32 [chunk][tap][C]; a second kernel adds the chunks
// in a fixed order (deterministic, unlike atomics) and writes grad_w in the storage dtype.
// The chunk count is chosen so that about 2048 blocks run; the partials cost
// chunks*K*K*C*8 bytes (written, then read), about a tenth of the input traffic at
// ConvNeXt-T's first stage.
//
// Roofline (ConvNeXt-T stage 1: B=64, 56x56x96, 7x7, stride 1, pad 3, bf16):
//   forward: x read + y written = 2 * 64*56*56*96 * 2 B = 77 MB -> 26 us at 3.0 TB/s;
//   2*49 FLOP per output = 1.9 GFLOP, 10 us even on the f32 CUDA cores (67 TFLOP/s): memory-bound.
//   backward-data: the same 77 MB -> 26 us; backward-weight: x and grad_y read = 77 MB
//   plus ~11 MB of partials -> 29 us. Forward+backward floor: about 81 us.
//   Stage 4 (7x7x768, B=64): 4.8 MB per pass in bf16 -> 1.6 us each; launch-bound.
// The shared-memory tile reads each input about (TH+K-1)(TW+K-1)/(TH TW) = 3.1 times from
// global at 7x7 f32 (halo), mostly L2 hits, so the DRAM floor above is the right target.
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <type_traits>

#include "kernels/cuda/check.h"
#include "kernels/cuda/conv.h"
#include "kernels/cuda/device_helpers.cuh"

namespace fovea::kernels::cuda {

using detail::all_aligned16;
using detail::blocks_for;
using detail::from_float;
using detail::kVec16;
using detail::Pack;
using detail::to_float;

namespace {

template <typename T, int V>
__device__ inline Pack<T, V> zero_pack() {
  Pack<T, V> p;
#pragma unroll
  for (int i = 0; i < V; ++i) p.v[i] = from_float<T>(0.0f);
  return p;
}

// The pack at element `offset` of `data` when `inside`, else zeros (the padding).
template <typename T, int V>
__device__ inline Pack<T, V> load_or_zero(const T* data, int64_t offset, bool inside) {
  return inside ? *reinterpret_cast<const Pack<T, V>*>(data + offset) : zero_pack<T, V>();
}

// Tile geometry shared by the host launcher and the forward kernel.
template <typename T, int K, int S, int V>
struct ForwardTile {
  static constexpr int kVectors = V > 1 ? 8 : 32;     // channel vectors per block (threadIdx.x)
  static constexpr int kChannels = kVectors * V;      // channels per block
  static constexpr int kRows = 8;                     // output rows per block (threadIdx.y)
  static constexpr int kCols = V >= 8 ? 4 : 8;        // output columns per thread and block
  static constexpr int kInRows = (kRows - 1) * S + K;
  static constexpr int kInCols = (kCols - 1) * S + K;
  static constexpr size_t kTileBytes = sizeof(Pack<T, V>) * kInRows * kInCols * kVectors;
  static constexpr size_t kSharedBytes = kTileBytes + sizeof(float) * K * K * kChannels;
};

// Geometry of one launch: src [N, src_h, src_w, C] -> dst [N, dst_h, dst_w, C].
struct SlideParams {
  int batch, channels;
  int src_h, src_w, dst_h, dst_w;
  int pad_h, pad_w;
  int tiles_h, tiles_w, channel_blocks;
};

// dst = conv(src, w) (+ bias); with kFlip the taps are read mirrored, which turns the
// forward into backward-data at stride 1.
template <typename T, int K, int S, int V, bool kFlip>
__global__ void depthwise_slide_kernel(SlideParams p, const T* __restrict__ src,
                                       const T* __restrict__ w, const T* __restrict__ bias,
                                       T* __restrict__ dst) {
  using Tile = ForwardTile<T, K, S, V>;
  constexpr int CV = Tile::kVectors, CS = Tile::kChannels;
  constexpr int TH = Tile::kRows, TW = Tile::kCols;
  constexpr int IH = Tile::kInRows, IW = Tile::kInCols, KK = K * K;
  constexpr int kThreads = CV * TH;
  extern __shared__ __align__(16) unsigned char shared[];
  Pack<T, V>* tile = reinterpret_cast<Pack<T, V>*>(shared);
  float* weights = reinterpret_cast<float*>(shared + Tile::kTileBytes);

  int64_t block = blockIdx.x;
  const int channel_block = static_cast<int>(block % p.channel_blocks);
  block /= p.channel_blocks;
  const int tile_index = static_cast<int>(block % (p.tiles_h * p.tiles_w));
  const int n = static_cast<int>(block / (p.tiles_h * p.tiles_w));
  const int oh0 = (tile_index / p.tiles_w) * TH, ow0 = (tile_index % p.tiles_w) * TW;
  const int ih0 = oh0 * S - p.pad_h, iw0 = ow0 * S - p.pad_w;
  const int c0 = channel_block * CS;
  const int tid = threadIdx.y * CV + threadIdx.x;

  for (int i = tid; i < KK * CS; i += kThreads) {
    const int local = i / KK, tap = i % KK, c = c0 + local;
    weights[tap * CS + local] =
        c < p.channels ? to_float(w[static_cast<int64_t>(c) * KK + (kFlip ? KK - 1 - tap : tap)])
                       : 0.0f;
  }
  for (int i = tid; i < IH * IW * CV; i += kThreads) {
    const int vector = i % CV, position = i / CV;
    const int ih = ih0 + position / IW, iw = iw0 + position % IW;
    const int c = c0 + vector * V;
    const bool inside =
        ih >= 0 && ih < p.src_h && iw >= 0 && iw < p.src_w && c < p.channels;
    tile[i] = load_or_zero<T, V>(
        src, ((static_cast<int64_t>(n) * p.src_h + ih) * p.src_w + iw) * p.channels + c, inside);
  }
  __syncthreads();

  const int oh = oh0 + threadIdx.y;
  const int c = c0 + threadIdx.x * V;
  if (oh >= p.dst_h || c >= p.channels) return;  // after the only barrier
  float acc[TW][V];
#pragma unroll
  for (int v = 0; v < V; ++v) {
    const float b = bias != nullptr ? to_float(bias[c + v]) : 0.0f;
#pragma unroll
    for (int t = 0; t < TW; ++t) acc[t][v] = b;
  }
#pragma unroll
  for (int kh = 0; kh < K; ++kh) {
    float wr[K][V];
#pragma unroll
    for (int kw = 0; kw < K; ++kw) {
#pragma unroll
      for (int v = 0; v < V; ++v) wr[kw][v] = weights[(kh * K + kw) * CS + threadIdx.x * V + v];
    }
    const Pack<T, V>* row = tile + (threadIdx.y * S + kh) * IW * CV + threadIdx.x;
#pragma unroll
    for (int j = 0; j < IW; ++j) {
      const Pack<T, V> packed = row[j * CV];
      float xv[V];
#pragma unroll
      for (int v = 0; v < V; ++v) xv[v] = to_float(packed.v[v]);
#pragma unroll
      for (int t = 0; t < TW; ++t) {
        const int kw = j - t * S;
        if (kw >= 0 && kw < K) {
#pragma unroll
          for (int v = 0; v < V; ++v) acc[t][v] = fmaf(xv[v], wr[kw][v], acc[t][v]);
        }
      }
    }
  }
  const int64_t row_offset = (static_cast<int64_t>(n) * p.dst_h + oh) * p.dst_w;
#pragma unroll
  for (int t = 0; t < TW; ++t) {
    const int ow = ow0 + t;
    if (ow >= p.dst_w) continue;
    Pack<T, V> out;
#pragma unroll
    for (int v = 0; v < V; ++v) out.v[v] = from_float<T>(acc[t][v]);
    *reinterpret_cast<Pack<T, V>*>(dst + (row_offset + ow) * p.channels + c) = out;
  }
}

// Geometry of the gather and weight-gradient kernels: x [N, H, W, C], y [N, Ho, Wo, C].
struct ConvParams {
  int batch, channels, in_h, in_w, out_h, out_w, pad_h, pad_w;
};

// grad_x at one (n, ih, iw, channel vector) per thread: the taps whose output position
// lies on the stride grid. Grid-stride over N*H*W*(C/V).
template <typename T, int K, int S, int V>
__global__ void depthwise_backward_data_gather_kernel(ConvParams p, const T* __restrict__ grad_y,
                                                      const T* __restrict__ w,
                                                      T* __restrict__ grad_x) {
  const int vectors = p.channels / V;
  const int64_t total = static_cast<int64_t>(p.batch) * p.in_h * p.in_w * vectors;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += step) {
    const int c = static_cast<int>(i % vectors) * V;
    int64_t pixel = i / vectors;
    const int iw = static_cast<int>(pixel % p.in_w);
    pixel /= p.in_w;
    const int ih = static_cast<int>(pixel % p.in_h);
    const int n = static_cast<int>(pixel / p.in_h);
    float acc[V] = {};
#pragma unroll
    for (int kh = 0; kh < K; ++kh) {
      const int oh_scaled = ih + p.pad_h - kh;
      if (oh_scaled < 0 || oh_scaled % S != 0 || oh_scaled / S >= p.out_h) continue;
      const int oh = oh_scaled / S;
#pragma unroll
      for (int kw = 0; kw < K; ++kw) {
        const int ow_scaled = iw + p.pad_w - kw;
        if (ow_scaled < 0 || ow_scaled % S != 0 || ow_scaled / S >= p.out_w) continue;
        const int ow = ow_scaled / S;
        const Pack<T, V> g = *reinterpret_cast<const Pack<T, V>*>(
            grad_y + ((static_cast<int64_t>(n) * p.out_h + oh) * p.out_w + ow) * p.channels + c);
#pragma unroll
        for (int v = 0; v < V; ++v) {
          acc[v] = fmaf(to_float(g.v[v]),
                        to_float(w[static_cast<int64_t>(c + v) * K * K + kh * K + kw]), acc[v]);
        }
      }
    }
    Pack<T, V> out;
#pragma unroll
    for (int v = 0; v < V; ++v) out.v[v] = from_float<T>(acc[v]);
    *reinterpret_cast<Pack<T, V>*>(grad_x + i * V) = out;
  }
}

// Partial weight gradients of one chunk of output rows: thread (cv, kh), block
// (channel block, chunk). partials [chunk][kh*K+kw][C].
template <typename T, int K, int S, int V>
__global__ void depthwise_backward_weight_partial_kernel(ConvParams p, int rows_per_chunk,
                                                         int channel_blocks,
                                                         const T* __restrict__ grad_y,
                                                         const T* __restrict__ x,
                                                         float* __restrict__ partials) {
  constexpr int CV = V > 1 ? 8 : 32;
  const int channel_block = static_cast<int>(blockIdx.x % channel_blocks);
  const int chunk = static_cast<int>(blockIdx.x / channel_blocks);
  const int c = (channel_block * CV + static_cast<int>(threadIdx.x)) * V;
  const int kh = threadIdx.y;
  if (c >= p.channels) return;  // no barrier in this kernel
  const int total_rows = p.batch * p.out_h;
  const int first_row = chunk * rows_per_chunk;
  const int last_row = min(first_row + rows_per_chunk, total_rows);
  float acc[K][V] = {};
  for (int row = first_row; row < last_row; ++row) {
    const int n = row / p.out_h, oh = row % p.out_h;
    const int ih = oh * S - p.pad_h + kh;
    if (ih < 0 || ih >= p.in_h) continue;
    const T* x_row = x + (static_cast<int64_t>(n) * p.in_h + ih) * p.in_w * p.channels + c;
    const T* g_row = grad_y + static_cast<int64_t>(row) * p.out_w * p.channels + c;
    // window[kw] holds x at iw = ow*S - pad + kw for the current ow.
    float window[K][V];
#pragma unroll
    for (int kw = 0; kw < K; ++kw) {
      const int iw = kw - p.pad_w;
      const Pack<T, V> packed = load_or_zero<T, V>(x_row, static_cast<int64_t>(iw) * p.channels,
                                                   iw >= 0 && iw < p.in_w);
#pragma unroll
      for (int v = 0; v < V; ++v) window[kw][v] = to_float(packed.v[v]);
    }
    for (int ow = 0; ow < p.out_w; ++ow) {
      const Pack<T, V> g = *reinterpret_cast<const Pack<T, V>*>(
          g_row + static_cast<int64_t>(ow) * p.channels);
#pragma unroll
      for (int kw = 0; kw < K; ++kw) {
#pragma unroll
        for (int v = 0; v < V; ++v) acc[kw][v] = fmaf(to_float(g.v[v]), window[kw][v], acc[kw][v]);
      }
      // Slide by S: keep the overlap, load the S new columns of the next position.
#pragma unroll
      for (int kw = 0; kw < K - S; ++kw) {
#pragma unroll
        for (int v = 0; v < V; ++v) window[kw][v] = window[kw + S][v];
      }
#pragma unroll
      for (int j = 0; j < S; ++j) {
        const int iw = (ow + 1) * S - p.pad_w + K - S + j;
        const Pack<T, V> packed = load_or_zero<T, V>(
            x_row, static_cast<int64_t>(iw) * p.channels, iw >= 0 && iw < p.in_w);
#pragma unroll
        for (int v = 0; v < V; ++v) window[K - S + j][v] = to_float(packed.v[v]);
      }
    }
  }
  float* out = partials + (static_cast<int64_t>(chunk) * K * K + kh * K) * p.channels + c;
#pragma unroll
  for (int kw = 0; kw < K; ++kw) {
#pragma unroll
    for (int v = 0; v < V; ++v) out[static_cast<int64_t>(kw) * p.channels + v] = acc[kw][v];
  }
}

// grad_w[c, tap] = the chunks' partial sums added in chunk order. Thread per (tap, c).
template <typename T>
__global__ void depthwise_backward_weight_reduce_kernel(int chunks, int taps, int channels,
                                                        const float* __restrict__ partials,
                                                        T* __restrict__ grad_w) {
  const int64_t index = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index >= static_cast<int64_t>(taps) * channels) return;
  const int tap = static_cast<int>(index / channels), c = static_cast<int>(index % channels);
  const int64_t chunk_stride = static_cast<int64_t>(taps) * channels;
  // Four independent sums keep several loads in flight; combined in a fixed order.
  float sums[4] = {};
  int chunk = 0;
  for (; chunk + 4 <= chunks; chunk += 4) {
#pragma unroll
    for (int j = 0; j < 4; ++j) sums[j] += partials[(chunk + j) * chunk_stride + index];
  }
  for (; chunk < chunks; ++chunk) sums[0] += partials[chunk * chunk_stride + index];
  grad_w[static_cast<int64_t>(c) * taps + tap] =
      from_float<T>((sums[0] + sums[1]) + (sums[2] + sums[3]));
}

// ------------------------------------------------------------------ launchers

ConvParams conv_params(const Conv2dShape& s) {
  return {static_cast<int>(s.batch),  static_cast<int>(s.in_channels), static_cast<int>(s.in_h),
          static_cast<int>(s.in_w),   static_cast<int>(s.out_h),       static_cast<int>(s.out_w),
          static_cast<int>(s.pad_h),  static_cast<int>(s.pad_w)};
}

// Calls visit(std::integral_constant K, S) for the shape's kernel size and stride.
template <typename Visitor>
void visit_kernel_shape(const Conv2dShape& s, Visitor&& visit) {
  if (!depthwise_conv2d_supported(s)) {
    cuda_kernel_error("depthwise_conv2d (CUDA): unsupported shape: kernel " +
                      std::to_string(s.kernel_h) + "x" + std::to_string(s.kernel_w) +
                      ", stride " + std::to_string(s.stride_h) + "x" + std::to_string(s.stride_w));
  }
  const auto by_stride = [&](auto k) {
    if (s.stride_h == 1) return visit(k, std::integral_constant<int, 1>{});
    return visit(k, std::integral_constant<int, 2>{});
  };
  switch (s.kernel_h) {
    case 3: return by_stride(std::integral_constant<int, 3>{});
    case 5: return by_stride(std::integral_constant<int, 5>{});
    default: return by_stride(std::integral_constant<int, 7>{});
  }
}

template <typename T, int K, int S, int V, bool kFlip>
void launch_slide(int batch, int channels, int src_h, int src_w, int dst_h, int dst_w, int pad_h,
                  int pad_w, const T* src, const T* w, const T* bias, T* dst,
                  cudaStream_t stream) {
  using Tile = ForwardTile<T, K, S, V>;
  SlideParams p{batch,
                channels,
                src_h,
                src_w,
                dst_h,
                dst_w,
                pad_h,
                pad_w,
                (dst_h + Tile::kRows - 1) / Tile::kRows,
                (dst_w + Tile::kCols - 1) / Tile::kCols,
                (channels + Tile::kChannels - 1) / Tile::kChannels};
  const int64_t blocks = static_cast<int64_t>(batch) * p.tiles_h * p.tiles_w * p.channel_blocks;
  if (blocks == 0) return;
  if (blocks > INT32_MAX) {
    cuda_kernel_error("depthwise_conv2d (CUDA): " + std::to_string(blocks) +
                      " blocks exceed the grid");
  }
  const auto kernel = depthwise_slide_kernel<T, K, S, V, kFlip>;
  if (Tile::kSharedBytes > 48 * 1024) {
    FOVEA_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          static_cast<int>(Tile::kSharedBytes)));
  }
  kernel<<<static_cast<unsigned>(blocks), dim3(Tile::kVectors, Tile::kRows), Tile::kSharedBytes,
           stream>>>(p, src, w, bias, dst);
  check_launch("depthwise_slide_kernel");
}

constexpr int kGatherThreads = 256;

template <typename T, int K, int S, int V>
void launch_gather(const Conv2dShape& s, const T* grad_y, const T* w, T* grad_x,
                   cudaStream_t stream) {
  const int64_t total = s.batch * s.in_h * s.in_w * (s.in_channels / V);
  if (total == 0) return;
  const int64_t blocks = std::min<int64_t>((total + kGatherThreads - 1) / kGatherThreads, 1 << 20);
  depthwise_backward_data_gather_kernel<T, K, S, V>
      <<<static_cast<unsigned>(blocks), kGatherThreads, 0, stream>>>(conv_params(s), grad_y, w,
                                                                     grad_x);
  check_launch("depthwise_backward_data_gather_kernel");
}

// Channel blocks and output-row chunks of the weight gradient: about 2048 blocks.
struct WeightPlan {
  int channel_blocks = 1, rows_per_chunk = 1, chunks = 1;
};

WeightPlan weight_plan(const Conv2dShape& s, int channels_per_block) {
  WeightPlan plan;
  plan.channel_blocks = static_cast<int>((s.in_channels + channels_per_block - 1) / channels_per_block);
  const int64_t rows = s.batch * s.out_h;
  const int64_t wanted = std::max<int64_t>(1, 2048 / plan.channel_blocks);
  plan.rows_per_chunk = static_cast<int>(std::max<int64_t>(1, (rows + wanted - 1) / wanted));
  plan.chunks = static_cast<int>((rows + plan.rows_per_chunk - 1) / plan.rows_per_chunk);
  return plan;
}

// Every path uses 32 channels per block except 16-bit vectors (64); plan the workspace for
// the larger chunk count (32) so that one size fits both.
constexpr int kPlanChannels = 32;

template <typename T, int K, int S, int V>
void launch_weight(const Conv2dShape& s, const T* grad_y, const T* x, float* partials,
                   T* grad_w, cudaStream_t stream) {
  constexpr int CV = V > 1 ? 8 : 32;
  WeightPlan plan = weight_plan(s, kPlanChannels);
  plan.channel_blocks = static_cast<int>((s.in_channels + CV * V - 1) / (CV * V));
  const int64_t blocks = static_cast<int64_t>(plan.channel_blocks) * plan.chunks;
  const int64_t taps = K * K, outputs = taps * s.in_channels;
  if (outputs == 0) return;
  if (blocks > 0 && s.batch * s.out_h * s.out_w > 0) {
    depthwise_backward_weight_partial_kernel<T, K, S, V>
        <<<static_cast<unsigned>(blocks), dim3(CV, K), 0, stream>>>(
            conv_params(s), plan.rows_per_chunk, plan.channel_blocks, grad_y, x, partials);
    check_launch("depthwise_backward_weight_partial_kernel");
  } else {
    plan.chunks = 0;  // nothing to sum: grad_w is zero
  }
  constexpr int threads = 256;
  depthwise_backward_weight_reduce_kernel<T><<<blocks_for(outputs, threads), threads, 0, stream>>>(
      plan.chunks, static_cast<int>(taps), static_cast<int>(s.in_channels), partials, grad_w);
  check_launch("depthwise_backward_weight_reduce_kernel");
}

// True when the 16-byte path applies: C a multiple of the vector and aligned pointers.
template <typename T>
bool vectorizable(int64_t channels, std::initializer_list<const void*> pointers) {
  return channels % kVec16<T> == 0 && all_aligned16(pointers);
}

}  // namespace

size_t depthwise_conv2d_backward_weight_workspace(const Conv2dShape& s) {
  const WeightPlan plan = weight_plan(s, kPlanChannels);
  return std::max<size_t>(256, sizeof(float) * static_cast<size_t>(plan.chunks) *
                                   static_cast<size_t>(s.kernel_h * s.kernel_w * s.in_channels));
}

template <typename T>
void depthwise_conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y,
                              cudaStream_t stream) {
  constexpr int V = kVec16<T>;
  const bool vector = vectorizable<T>(s.in_channels, {x, y});
  visit_kernel_shape(s, [&](auto k, auto stride) {
    constexpr int K = decltype(k)::value, S = decltype(stride)::value;
    const auto launch = vector ? launch_slide<T, K, S, V, false> : launch_slide<T, K, S, 1, false>;
    launch(static_cast<int>(s.batch), static_cast<int>(s.in_channels), static_cast<int>(s.in_h),
           static_cast<int>(s.in_w), static_cast<int>(s.out_h), static_cast<int>(s.out_w),
           static_cast<int>(s.pad_h), static_cast<int>(s.pad_w), x, w, bias, y, stream);
  });
}

template <typename T>
void depthwise_conv2d_backward_data(const Conv2dShape& s, const T* grad_y, const T* w, T* grad_x,
                                    cudaStream_t stream) {
  constexpr int V = kVec16<T>;
  const bool vector = vectorizable<T>(s.in_channels, {grad_y, grad_x});
  visit_kernel_shape(s, [&](auto k, auto stride) {
    constexpr int K = decltype(k)::value, S = decltype(stride)::value;
    if constexpr (S == 1) {
      // The forward of grad_y with the mirrored kernel and padding K-1-P gives grad_x.
      const auto launch = vector ? launch_slide<T, K, 1, V, true> : launch_slide<T, K, 1, 1, true>;
      launch(static_cast<int>(s.batch), static_cast<int>(s.in_channels),
             static_cast<int>(s.out_h), static_cast<int>(s.out_w), static_cast<int>(s.in_h),
             static_cast<int>(s.in_w), static_cast<int>(K - 1 - s.pad_h),
             static_cast<int>(K - 1 - s.pad_w), grad_y, w, nullptr, grad_x, stream);
    } else {
      const auto launch = vector ? launch_gather<T, K, S, V> : launch_gather<T, K, S, 1>;
      launch(s, grad_y, w, grad_x, stream);
    }
  });
}

template <typename T>
void depthwise_conv2d_backward_weight(const Conv2dShape& s, const T* grad_y, const T* x,
                                      float* partials, T* grad_w, cudaStream_t stream) {
  constexpr int V = kVec16<T>;
  const bool vector = vectorizable<T>(s.in_channels, {grad_y, x});
  visit_kernel_shape(s, [&](auto k, auto stride) {
    constexpr int K = decltype(k)::value, S = decltype(stride)::value;
    const auto launch = vector ? launch_weight<T, K, S, V> : launch_weight<T, K, S, 1>;
    launch(s, grad_y, x, partials, grad_w, stream);
  });
}

template void depthwise_conv2d_forward<float>(const Conv2dShape&, const float*, const float*,
                                              const float*, float*, cudaStream_t);
template void depthwise_conv2d_forward<__half>(const Conv2dShape&, const __half*, const __half*,
                                               const __half*, __half*, cudaStream_t);
template void depthwise_conv2d_forward<__nv_bfloat16>(const Conv2dShape&, const __nv_bfloat16*,
                                                      const __nv_bfloat16*, const __nv_bfloat16*,
                                                      __nv_bfloat16*, cudaStream_t);
template void depthwise_conv2d_backward_data<float>(const Conv2dShape&, const float*,
                                                    const float*, float*, cudaStream_t);
template void depthwise_conv2d_backward_data<__half>(const Conv2dShape&, const __half*,
                                                     const __half*, __half*, cudaStream_t);
template void depthwise_conv2d_backward_data<__nv_bfloat16>(const Conv2dShape&,
                                                            const __nv_bfloat16*,
                                                            const __nv_bfloat16*, __nv_bfloat16*,
                                                            cudaStream_t);
template void depthwise_conv2d_backward_weight<float>(const Conv2dShape&, const float*,
                                                      const float*, float*, float*, cudaStream_t);
template void depthwise_conv2d_backward_weight<__half>(const Conv2dShape&, const __half*,
                                                       const __half*, float*, __half*,
                                                       cudaStream_t);
template void depthwise_conv2d_backward_weight<__nv_bfloat16>(const Conv2dShape&,
                                                              const __nv_bfloat16*,
                                                              const __nv_bfloat16*, float*,
                                                              __nv_bfloat16*, cudaStream_t);

}  // namespace fovea::kernels::cuda
