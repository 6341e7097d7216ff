// CUDA scaled dot-product attention (cuBLAS GEMMs + a fused softmax) and fused window
// attention for Swin / SwinV2, forward and backward (kernels/cuda/attention.h).
//
// Math (kernels/attention.h): S = scale Q K^T + bias (masked entries -inf), P = softmax(S)
// (an all-masked row gives P = 0), O = dropout(P) V. Backward: dP = dO V^T (through the
// same dropout mask, regenerated from Philox), dS = P (dP - rowsum(dP P)), dQ = scale dS K,
// dK = scale dS^T Q, dV = dropout(P)^T dO, dbias = dS summed to the bias's shape.
//
// scaled_dot_product_attention (ViT): we chose cuBLAS strided-batched GEMMs (bf16/f16/f32
// inputs, f32 accumulation, scores and dP written in f32) plus one fused row kernel for
// bias + mask + softmax + dropout (and one for dropout + softmax backward), rather than a
// flash-attention kernel: ViT-B's 197 x 197 scores per head are small enough that the
// materialised scores cost little next to the GEMMs, and the cuBLAS path is correct by
// construction. Rows are one warp each up to 1024 keys. Roofline, ViT-B/16 at batch 64
// (768 heads, L = S = 197, D = 64, bf16): GEMMs 2 x 2 x 768 x 197^2 x 64 = 7.6 GFLOP,
// floor 10 us at 790 TFLOP/s; the score traffic (f32 S written and read, bf16 P written
// and read) is 119 + 119 + 60 + 60 MB, floor 120 us: the memory of the scores dominates,
// which is what a future flash kernel would remove.
//
// Window attention (Swin-T: 4096 windows of 49 tokens x 3 heads x 32 dims at batch 64):
// one 256-thread block per (window, head) holds Q, K, V (rows padded to D + 1 floats so
// the K^T reads of a warp fall in different banks) and the 49 x 49 scores in shared
// memory, adds the relative position bias and the shifted-window mask, takes the softmax
// with a warp per row, and writes P (saved for the backward) and O. The backward gives a
// block one head and a chunk of windows: per window it loads Q, K, V, dO and P, writes dV,
// dQ, dK, and adds dS into a shared-memory accumulator, so the bias gradient (a sum over
// all windows) leaves the block as one partial per chunk; a second kernel adds the
// chunks in order (deterministic, no atomics). Roofline at Swin-T stage 1 (bf16): q, k, v,
// out 4 x 4096 x 3 x 49 x 32 x 2 B = 77 MB plus P 59 MB, floor 45 us forward; FLOPs
// 2 x 2 x 12288 x 49^2 x 32 = 3.8 GFLOP on CUDA cores (no tensor cores in this kernel),
// about 60 us at the H100's ~60 TFLOP/s f32 FMA rate: the forward is balanced between
// the two, and the backward (twice the FLOPs, 1.5x the bytes) is compute-leaning.
#include "kernels/cuda/attention.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "kernels/cuda/norm_common.cuh"
#include "kernels/cuda/check.h"
#include "kernels/philox.h"

namespace fovea::kernels::cuda {

using detail::from_float;
using detail::row_group_max;
using detail::row_group_sum;
using detail::to_float;
using detail::warp_sum;

namespace {

// ---------------------------------------------------------------- cuBLAS

template <typename T>
constexpr cudaDataType_t cuda_data_type() {
  if constexpr (std::is_same_v<T, float>) return CUDA_R_32F;
  if constexpr (std::is_same_v<T, __half>) return CUDA_R_16F;
  return CUDA_R_16BF;
}

struct Operand {
  const void* data;
  cudaDataType_t type;
  int64_t ld, stride;
};

// Row-major batched C[m, n] = alpha op(A) op(B), where op(A) is [m, k] and op(B) [k, n]:
// called as the column-major product C^T = op(B)^T op(A)^T, so no data moves.
void gemm_row_major(cublasHandle_t handle, bool trans_a, bool trans_b, int64_t m, int64_t n,
                    int64_t k, float alpha, Operand a, Operand b, void* c, cudaDataType_t c_type,
                    int64_t ldc, int64_t stride_c, int64_t batch) {
  const float beta = 0.0f;
  const cublasStatus_t status = cublasGemmStridedBatchedEx(
      handle, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N,
      static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &alpha, b.data, b.type,
      static_cast<int>(b.ld), b.stride, a.data, a.type, static_cast<int>(a.ld), a.stride, &beta, c,
      c_type, static_cast<int>(ldc), stride_c, static_cast<int>(batch), CUBLAS_COMPUTE_32F,
      CUBLAS_GEMM_DEFAULT);
  ::fovea::cublas_check(status, "cublasGemmStridedBatchedEx (attention)");
}

// ---------------------------------------------------------------- dropout

// Whether element e of the scores survives dropout: Philox draw e of the stream, exactly
// as the CPU kernel decides it.
__device__ __forceinline__ bool kept(const AttentionDropout& dropout, uint64_t e) {
  const uint32_t bits = philox_block(dropout.offset + e / 4, dropout.seed).v[e % 4];
  return static_cast<double>(uniform_from_bits(bits)) >= dropout.p;
}

template <typename T>
__global__ void attention_dropout_kernel(const T* probs, AttentionDropout dropout, int64_t count,
                                         T* dropped) {
  const float keep_scale = static_cast<float>(1.0 / (1.0 - dropout.p));
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < count;
       e += stride) {
    dropped[e] = from_float<T>(kept(dropout, e) ? to_float(probs[e]) * keep_scale : 0.0f);
  }
}

// ---------------------------------------------------------------- fused softmax rows

// Score (b, i, j) after bias and mask.
template <typename T>
__device__ __forceinline__ float biased_score(const float* row, const ScoreOperand<T>& bias,
                                              const ScoreOperand<bool>& mask, int64_t b, int64_t i,
                                              int64_t j) {
  float s = row[j];
  if (bias.data) {
    s += to_float(bias.data[bias.batch_offsets[b] + i * bias.row_stride + j * bias.col_stride]);
  }
  if (mask.data && !mask.data[mask.batch_offsets[b] + i * mask.row_stride + j * mask.col_stride]) {
    s = -INFINITY;
  }
  return s;
}

// One row per threadIdx.y group (see kernels/cuda/layer_norm.cu for the early-return rule).
template <typename T>
__global__ void attention_softmax_forward_kernel(const float* scores, ScoreOperand<T> bias,
                                                 ScoreOperand<bool> mask, AttentionDropout dropout,
                                                 int64_t rows, int64_t q_len, int64_t kv_len,
                                                 T* probs, T* dropped) {
  __shared__ float scratch[32];
  const int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y;
  if (r >= rows) return;
  const int64_t b = r / q_len, i = r % q_len;
  const float* row = scores + r * kv_len;
  T* p_row = probs + r * kv_len;
  float max = -INFINITY;
  for (int64_t j = threadIdx.x; j < kv_len; j += blockDim.x) {
    max = fmaxf(max, biased_score(row, bias, mask, b, i, j));
  }
  max = row_group_max(max, scratch);
  if (max == -INFINITY) {  // nothing to attend to: an all-zero row, not NaN
    for (int64_t j = threadIdx.x; j < kv_len; j += blockDim.x) {
      p_row[j] = from_float<T>(0.0f);
      if (dropped) dropped[r * kv_len + j] = from_float<T>(0.0f);
    }
    return;
  }
  float total = 0.0f;
  for (int64_t j = threadIdx.x; j < kv_len; j += blockDim.x) {
    total += expf(biased_score(row, bias, mask, b, i, j) - max);
  }
  const float inverse = 1.0f / row_group_sum(total, scratch);
  const float keep_scale = dropped ? static_cast<float>(1.0 / (1.0 - dropout.p)) : 1.0f;
  for (int64_t j = threadIdx.x; j < kv_len; j += blockDim.x) {
    const T p = from_float<T>(expf(biased_score(row, bias, mask, b, i, j) - max) * inverse);
    p_row[j] = p;
    if (dropped) {
      const uint64_t e = static_cast<uint64_t>(r * kv_len + j);
      dropped[e] = from_float<T>(kept(dropout, e) ? to_float(p) * keep_scale : 0.0f);
    }
  }
}

// dS = P (dP - rowsum(dP P)), dP first passed through the forward's dropout mask.
template <typename T>
__global__ void attention_softmax_backward_kernel(const float* grad_p, const T* probs,
                                                  AttentionDropout dropout, int64_t rows,
                                                  int64_t kv_len, T* grad_scores) {
  __shared__ float scratch[32];
  const int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y;
  if (r >= rows) return;
  const float keep_scale = dropout.p > 0 ? static_cast<float>(1.0 / (1.0 - dropout.p)) : 1.0f;
  auto dp = [&](int64_t j) {
    const int64_t e = r * kv_len + j;
    if (dropout.p > 0 && !kept(dropout, static_cast<uint64_t>(e))) return 0.0f;
    return grad_p[e] * keep_scale;
  };
  float dot = 0.0f;
  for (int64_t j = threadIdx.x; j < kv_len; j += blockDim.x) {
    dot += dp(j) * to_float(probs[r * kv_len + j]);
  }
  dot = row_group_sum(dot, scratch);
  for (int64_t j = threadIdx.x; j < kv_len; j += blockDim.x) {
    const float p = to_float(probs[r * kv_len + j]);
    grad_scores[r * kv_len + j] = from_float<T>(p * (dp(j) - dot));
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

// ---------------------------------------------------------------- window attention

constexpr int kWindowThreads = 256;
constexpr int kWindowWarps = kWindowThreads / 32;

// Loads a [N, D] block of T into shared floats with rows padded to D + 1.
template <typename T>
__device__ __forceinline__ void load_padded(const T* src, float* dst, int n, int d) {
  for (int idx = threadIdx.x; idx < n * d; idx += blockDim.x) {
    dst[(idx / d) * (d + 1) + idx % d] = to_float(src[idx]);
  }
}

size_t window_forward_smem(const WindowAttentionShape& s) {
  return sizeof(float) * static_cast<size_t>(3 * s.tokens * (s.head_dim + 1) + s.tokens * s.tokens);
}

size_t window_backward_smem(const WindowAttentionShape& s) {
  return sizeof(float) *
         static_cast<size_t>(4 * s.tokens * (s.head_dim + 1) + 3 * s.tokens * s.tokens);
}

template <typename T>
__global__ void window_attention_forward_kernel(WindowAttentionShape shape, const T* q, const T* k,
                                                const T* v, const T* bias, const T* mask, T* probs,
                                                T* out) {
  extern __shared__ float smem[];
  const int n = static_cast<int>(shape.tokens), d = static_cast<int>(shape.head_dim);
  const int ld = d + 1;
  float* sq = smem;
  float* sk = sq + n * ld;
  float* sv = sk + n * ld;
  float* ss = sv + n * ld;        // [n, n] scores, then probabilities
  const int64_t wh = blockIdx.x;  // window * heads + head
  const int64_t head = wh % shape.heads, window = (wh / shape.heads) % shape.windows;
  const int64_t base = wh * n * d;
  load_padded(q + base, sq, n, d);
  load_padded(k + base, sk, n, d);
  load_padded(v + base, sv, n, d);
  __syncthreads();

  const float scale = static_cast<float>(shape.scale);
  const T* bias_h = bias ? bias + head * n * n : nullptr;
  const T* mask_w = mask ? mask + window * n * n : nullptr;
  for (int idx = threadIdx.x; idx < n * n; idx += blockDim.x) {
    const int i = idx / n, j = idx % n;
    float dot = 0.0f;
    for (int c = 0; c < d; ++c) dot += sq[i * ld + c] * sk[j * ld + c];
    float s = dot * scale;
    if (bias_h) s += to_float(bias_h[idx]);
    if (mask_w) s += to_float(mask_w[idx]);
    ss[idx] = s;
  }
  __syncthreads();

  // Softmax, a warp per row; lanes take columns lane, lane + 32 (n <= 64).
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  T* p_out = probs + wh * n * n;
  for (int i = warp; i < n; i += kWindowWarps) {
    float* row = ss + i * n;
    float max = -INFINITY;
    for (int j = lane; j < n; j += 32) max = fmaxf(max, row[j]);
    max = detail::warp_max(max);
    float total = 0.0f;
    for (int j = lane; j < n; j += 32) total += max == -INFINITY ? 0.0f : expf(row[j] - max);
    total = warp_sum(total);
    const float inverse = max == -INFINITY ? 0.0f : 1.0f / total;
    for (int j = lane; j < n; j += 32) {
      const float p = max == -INFINITY ? 0.0f : expf(row[j] - max) * inverse;
      row[j] = p;
      p_out[i * n + j] = from_float<T>(p);
    }
  }
  __syncthreads();

  for (int idx = threadIdx.x; idx < n * d; idx += blockDim.x) {
    const int i = idx / d, c = idx % d;
    float o = 0.0f;
    for (int j = 0; j < n; ++j) o += ss[i * n + j] * sv[j * ld + c];
    out[base + idx] = from_float<T>(o);
  }
}

// Block (head, chunk): windows [chunk * per_chunk, ...) of one head.
template <typename T>
__global__ void window_attention_backward_kernel(WindowAttentionShape shape, int64_t per_chunk,
                                                 const T* q, const T* k, const T* v, const T* probs,
                                                 const T* grad_out, T* grad_q, T* grad_k, T* grad_v,
                                                 float* bias_partial) {
  extern __shared__ float smem[];
  const int n = static_cast<int>(shape.tokens), d = static_cast<int>(shape.head_dim);
  const int ld = d + 1;
  float* sq = smem;
  float* sk = sq + n * ld;
  float* sv = sk + n * ld;
  float* sdo = sv + n * ld;
  float* sp = sdo + n * ld;  // [n, n] P
  float* sds = sp + n * n;   // [n, n] dP, then dS
  float* acc = sds + n * n;  // [n, n] sum of dS over this block's windows
  const int64_t head = blockIdx.x, chunk = blockIdx.y;
  const int64_t w_begin = chunk * per_chunk;
  const int64_t w_end = min(shape.windows_total, w_begin + per_chunk);
  const float scale = static_cast<float>(shape.scale);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int idx = threadIdx.x; idx < n * n; idx += blockDim.x) acc[idx] = 0.0f;

  for (int64_t w = w_begin; w < w_end; ++w) {
    const int64_t wh = w * shape.heads + head;
    const int64_t base = wh * n * d;
    __syncthreads();  // the previous window is done with shared memory
    load_padded(q + base, sq, n, d);
    load_padded(k + base, sk, n, d);
    load_padded(v + base, sv, n, d);
    load_padded(grad_out + base, sdo, n, d);
    for (int idx = threadIdx.x; idx < n * n; idx += blockDim.x) {
      sp[idx] = to_float(probs[wh * n * n + idx]);
    }
    __syncthreads();

    if (grad_v) {  // dV[j, c] = sum_i P[i, j] dO[i, c]
      for (int idx = threadIdx.x; idx < n * d; idx += blockDim.x) {
        const int j = idx / d, c = idx % d;
        float total = 0.0f;
        for (int i = 0; i < n; ++i) total += sp[i * n + j] * sdo[i * ld + c];
        grad_v[base + idx] = from_float<T>(total);
      }
    }
    for (int idx = threadIdx.x; idx < n * n; idx += blockDim.x) {  // dP = dO V^T
      const int i = idx / n, j = idx % n;
      float total = 0.0f;
      for (int c = 0; c < d; ++c) total += sdo[i * ld + c] * sv[j * ld + c];
      sds[idx] = total;
    }
    __syncthreads();

    // dS = P (dP - rowsum(dP P)), a warp per row; the same thread owns acc[i, j] for
    // every window, so the accumulation needs no synchronisation of its own.
    for (int i = warp; i < n; i += kWindowWarps) {
      float dot = 0.0f;
      for (int j = lane; j < n; j += 32) dot += sds[i * n + j] * sp[i * n + j];
      dot = warp_sum(dot);
      for (int j = lane; j < n; j += 32) {
        const float ds = sp[i * n + j] * (sds[i * n + j] - dot);
        sds[i * n + j] = ds;
        acc[i * n + j] += ds;
      }
    }
    __syncthreads();

    if (grad_q) {  // dQ[i, c] = scale sum_j dS[i, j] K[j, c]
      for (int idx = threadIdx.x; idx < n * d; idx += blockDim.x) {
        const int i = idx / d, c = idx % d;
        float total = 0.0f;
        for (int j = 0; j < n; ++j) total += sds[i * n + j] * sk[j * ld + c];
        grad_q[base + idx] = from_float<T>(total * scale);
      }
    }
    if (grad_k) {  // dK[j, c] = scale sum_i dS[i, j] Q[i, c]
      for (int idx = threadIdx.x; idx < n * d; idx += blockDim.x) {
        const int j = idx / d, c = idx % d;
        float total = 0.0f;
        for (int i = 0; i < n; ++i) total += sds[i * n + j] * sq[i * ld + c];
        grad_k[base + idx] = from_float<T>(total * scale);
      }
    }
  }
  if (!bias_partial) return;
  __syncthreads();
  float* partial = bias_partial + (chunk * shape.heads + head) * n * n;
  for (int idx = threadIdx.x; idx < n * n; idx += blockDim.x) partial[idx] = acc[idx];
}

template <typename T>
__global__ void window_bias_grad_kernel(const float* partial, int64_t chunks, int64_t count,
                                        T* grad_bias) {
  const int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= count) return;
  float total = 0.0f;
  for (int64_t chunk = 0; chunk < chunks; ++chunk) total += partial[chunk * count + idx];
  grad_bias[idx] = from_float<T>(total);
}

struct WindowChunks {
  int64_t chunks = 1, per_chunk = 0;
};

// About 4 blocks per SM over all heads, at least 4 windows per block.
WindowChunks window_chunks(const WindowAttentionShape& s) {
  WindowChunks c;
  const int64_t heads = std::max<int64_t>(1, s.heads);
  c.chunks =
      std::clamp<int64_t>(std::min<int64_t>(132 * 4 / heads, (s.windows_total + 3) / 4), 1, 65535);
  c.per_chunk = (s.windows_total + c.chunks - 1) / c.chunks;
  if (c.per_chunk > 0) c.chunks = (s.windows_total + c.per_chunk - 1) / c.per_chunk;
  return c;
}

template <typename Kernel>
void allow_dynamic_smem(Kernel kernel, size_t bytes) {
  ::fovea::cuda_check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                            static_cast<int>(bytes)),
                      "cudaFuncSetAttribute (window attention shared memory)");
}

}  // namespace

// ---------------------------------------------------------------- launchers

template <typename T>
void attention_forward(const AttentionShape& s, const T* q, const T* k, const T* v,
                       ScoreOperand<T> bias, ScoreOperand<bool> mask, AttentionDropout dropout,
                       float* scores, T* probs, T* dropped, T* out, cublasHandle_t handle,
                       cudaStream_t stream) {
  const int64_t L = s.q_len, S = s.kv_len, D = s.head_dim, Dv = s.value_dim;
  const int64_t rows = s.batch * L;
  if (rows == 0 || Dv == 0) return;
  constexpr cudaDataType_t type = cuda_data_type<T>();
  // scores = scale Q K^T (f32)
  gemm_row_major(handle, false, true, L, S, D, static_cast<float>(s.scale), {q, type, D, L * D},
                 {k, type, D, S * D}, scores, CUDA_R_32F, S, L * S, s.batch);
  const bool use_dropout = dropout.p > 0;
  if (S > 0) {
    const RowLaunch launch = row_launch(rows, S);
    attention_softmax_forward_kernel<T><<<launch.grid, launch.block, 0, stream>>>(
        scores, bias, mask, dropout, rows, L, S, probs, use_dropout ? dropped : nullptr);
    ::fovea::check_launch("attention_softmax_forward_kernel");
  }
  // out = dropout(P) V
  gemm_row_major(handle, false, false, L, Dv, S, 1.0f,
                 {use_dropout ? dropped : probs, type, S, L * S}, {v, type, Dv, S * Dv}, out, type,
                 Dv, L * Dv, s.batch);
}

template <typename T>
void attention_backward(const AttentionShape& s, const T* q, const T* k, const T* v, const T* probs,
                        AttentionDropout dropout, const T* grad_out, float* grad_p, T* dropped,
                        T* grad_scores, T* grad_q, T* grad_k, T* grad_v, cublasHandle_t handle,
                        cudaStream_t stream) {
  const int64_t L = s.q_len, S = s.kv_len, D = s.head_dim, Dv = s.value_dim;
  const int64_t rows = s.batch * L;
  if (rows == 0 || S == 0) return;
  constexpr cudaDataType_t type = cuda_data_type<T>();
  if (grad_v) {  // dV = dropout(P)^T dO
    const T* weights = probs;
    if (dropout.p > 0) {
      attention_dropout_kernel<T><<<grid_stride_blocks(rows * S, 256), 256, 0, stream>>>(
          probs, dropout, rows * S, dropped);
      ::fovea::check_launch("attention_dropout_kernel");
      weights = dropped;
    }
    gemm_row_major(handle, true, false, S, Dv, L, 1.0f, {weights, type, S, L * S},
                   {grad_out, type, Dv, L * Dv}, grad_v, type, Dv, S * Dv, s.batch);
  }
  // grad_p = dO V^T (f32)
  gemm_row_major(handle, false, true, L, S, Dv, 1.0f, {grad_out, type, Dv, L * Dv},
                 {v, type, Dv, S * Dv}, grad_p, CUDA_R_32F, S, L * S, s.batch);
  const RowLaunch launch = row_launch(rows, S);
  attention_softmax_backward_kernel<T>
      <<<launch.grid, launch.block, 0, stream>>>(grad_p, probs, dropout, rows, S, grad_scores);
  ::fovea::check_launch("attention_softmax_backward_kernel");
  const float scale = static_cast<float>(s.scale);
  if (grad_q) {  // dQ = scale dS K
    gemm_row_major(handle, false, false, L, D, S, scale, {grad_scores, type, S, L * S},
                   {k, type, D, S * D}, grad_q, type, D, L * D, s.batch);
  }
  if (grad_k) {  // dK = scale dS^T Q
    gemm_row_major(handle, true, false, S, D, L, scale, {grad_scores, type, S, L * S},
                   {q, type, D, L * D}, grad_k, type, D, S * D, s.batch);
  }
}

template <typename T>
void window_attention_forward(const WindowAttentionShape& shape, const T* q, const T* k, const T* v,
                              const T* bias, const T* mask, T* probs, T* out, cudaStream_t stream) {
  const int64_t blocks = shape.windows_total * shape.heads;
  if (blocks == 0 || shape.tokens == 0 || shape.head_dim == 0) return;
  if (shape.tokens > kMaxWindowTokens || shape.head_dim > kMaxWindowHeadDim) {
    ::fovea::cuda_kernel_error("window_attention_forward: more than 64 tokens or head dims");
  }
  const size_t smem = window_forward_smem(shape);
  allow_dynamic_smem(window_attention_forward_kernel<T>, smem);
  window_attention_forward_kernel<T>
      <<<static_cast<unsigned>(blocks), kWindowThreads, smem, stream>>>(shape, q, k, v, bias, mask,
                                                                        probs, out);
  ::fovea::check_launch("window_attention_forward_kernel");
}

int64_t window_attention_backward_workspace(const WindowAttentionShape& shape) {
  return window_chunks(shape).chunks * shape.heads * shape.tokens * shape.tokens;
}

template <typename T>
void window_attention_backward(const WindowAttentionShape& shape, const T* q, const T* k,
                               const T* v, const T* probs, const T* grad_out, T* grad_q, T* grad_k,
                               T* grad_v, T* grad_bias, float* workspace, cudaStream_t stream) {
  const int64_t count = shape.heads * shape.tokens * shape.tokens;
  if (count == 0 || shape.head_dim == 0) return;
  if (shape.tokens > kMaxWindowTokens || shape.head_dim > kMaxWindowHeadDim) {
    ::fovea::cuda_kernel_error("window_attention_backward: more than 64 tokens or head dims");
  }
  const WindowChunks c = window_chunks(shape);
  const size_t smem = window_backward_smem(shape);
  allow_dynamic_smem(window_attention_backward_kernel<T>, smem);
  window_attention_backward_kernel<T>
      <<<dim3(static_cast<unsigned>(shape.heads), static_cast<unsigned>(c.chunks)), kWindowThreads,
         smem, stream>>>(shape, c.per_chunk, q, k, v, probs, grad_out, grad_q, grad_k, grad_v,
                         grad_bias ? workspace : nullptr);
  ::fovea::check_launch("window_attention_backward_kernel");
  if (!grad_bias) return;
  window_bias_grad_kernel<T><<<static_cast<unsigned>((count + 255) / 256), 256, 0, stream>>>(
      workspace, c.chunks, count, grad_bias);
  ::fovea::check_launch("window_bias_grad_kernel");
}

#define FOVEA_ATTENTION_INSTANCES(T)                                                               \
  template void attention_forward<T>(const AttentionShape&, const T*, const T*, const T*,          \
                                     ScoreOperand<T>, ScoreOperand<bool>, AttentionDropout,        \
                                     float*, T*, T*, T*, cublasHandle_t, cudaStream_t);            \
  template void attention_backward<T>(const AttentionShape&, const T*, const T*, const T*,         \
                                      const T*, AttentionDropout, const T*, float*, T*, T*, T*,    \
                                      T*, T*, cublasHandle_t, cudaStream_t);                       \
  template void window_attention_forward<T>(const WindowAttentionShape&, const T*, const T*,       \
                                            const T*, const T*, const T*, T*, T*, cudaStream_t);   \
  template void window_attention_backward<T>(const WindowAttentionShape&, const T*, const T*,      \
                                             const T*, const T*, const T*, T*, T*, T*, T*, float*, \
                                             cudaStream_t);

FOVEA_ATTENTION_INSTANCES(float)
FOVEA_ATTENTION_INSTANCES(__half)
FOVEA_ATTENTION_INSTANCES(__nv_bfloat16)
#undef FOVEA_ATTENTION_INSTANCES

}  // namespace fovea::kernels::cuda
