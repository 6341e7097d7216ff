// Attention on CUDA (kernels/cuda/attention.cu), bf16, at the seed models' shapes.
// - ViT-B/16 scaled_dot_product_attention (B=64, 12 heads, 197 tokens, head dim 64):
//   cuBLAS GEMMs + the fused softmax, forward and forward+backward, in TFLOP/s of the
//   four (eight) matrix products against the bf16 GEMM ceiling measured in-process.
// - Swin-T window attention (B=64: 64 / 16 / 4 / 1 windows per image of 49 tokens, 3 / 6
//   / 12 / 24 heads of 32 dims, the shifted-window mask and relative position bias): the
//   fused per-window kernel next to the same attention through the cuBLAS + fused-softmax
//   path (the library path), forward and forward+backward.
// PyTorch (F.scaled_dot_product_attention, timm's WindowAttention): bench/pytorch/
// attention_cuda.py.
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>
#include <vector>

#include "bench/cuda/roofline.h"
#include "engine/autograd.h"
#include "engine/ops/factory.h"
#include "kernels/cuda/attention.h"

namespace fovea::bench {
namespace {

using bf16 = __nv_bfloat16;

template <typename T = bf16>
T* p(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

Tensor on_gpu(const Shape& shape, DType dtype = DType::bf16) {
  return randn(shape, {.dtype = DType::f32}).to(dtype).to(Device::cuda(0));
}

struct SdpaCase {
  const char* name;
  int64_t batch, heads, tokens, dim;
  bool window_bias;  // a [heads, N, N] bias broadcast over the windows
};

constexpr SdpaCase kSdpaCases[] = {
    {"vit_b_64x12x197x64", 64, 12, 197, 64, false},
    {"swin_t_s1_4096x3x49x32", 64 * 64, 3, 49, 32, true},
    {"swin_t_s3_256x12x49x32", 64 * 4, 12, 49, 32, true},
};

double attention_flops(int64_t batch_heads, int64_t q, int64_t k, int64_t d, bool backward) {
  const double one_product = 2.0 * batch_heads * q * k * d;
  return backward ? 6 * one_product : 2 * one_product;
}

// The cuBLAS + fused-softmax path.
void BM_SdpaCublas(benchmark::State& state) {
  const SdpaCase& c = kSdpaCases[state.range(0)];
  const bool backward = state.range(1) != 0;
  state.SetLabel(std::string(c.name) + (backward ? " fwd+bwd" : " fwd"));
  NoGradGuard no_grad;
  const int64_t bh = c.batch * c.heads, n = c.tokens, d = c.dim;
  const Tensor q = on_gpu({bh, n, d}), k = on_gpu({bh, n, d}), v = on_gpu({bh, n, d});
  const Tensor out = on_gpu({bh, n, d}), dout = on_gpu({bh, n, d});
  const Tensor dq = on_gpu({bh, n, d}), dk = on_gpu({bh, n, d}), dv = on_gpu({bh, n, d});
  const Tensor scores = on_gpu({bh * n * n}, DType::f32), probs = on_gpu({bh, n, n});
  const Tensor grad_scores = on_gpu({bh, n, n});
  const Tensor bias = on_gpu({c.heads, n, n});
  // The bias [heads, N, N] broadcast over [bh / heads, heads, N, N].
  kernels::ScoreOperand<bf16> bias_operand;
  if (c.window_bias) {
    bias_operand.data = p(bias);
    bias_operand.layout = {.lead_dims = 2,
                           .lead_size = {bh / c.heads, c.heads},
                           .lead_stride = {0, n * n},
                           .row_stride = n,
                           .col_stride = 1};
  }
  const kernels::AttentionShape shape{
      .batch = bh, .q_len = n, .kv_len = n, .head_dim = d, .value_dim = d, .scale = 0.125};
  cublasHandle_t handle = cuda::cublas_handle(0);
  const cudaStream_t stream = cuda::current_stream(0);
  for (auto _ : state) {
    state.SetIterationTime(time_ms([&] {
                             kernels::cuda::attention_forward<bf16>(
                                 shape, p(q), p(k), p(v), bias_operand, {}, {}, p<float>(scores),
                                 p(probs), nullptr, p(out), handle, stream);
                             if (backward) {
                               kernels::cuda::attention_backward<bf16>(
                                   shape, p(q), p(k), p(v), p(probs), {}, p(dout), p<float>(scores),
                                   nullptr, p(grad_scores), p(dq), p(dk), p(dv), handle, stream);
                             }
                           }) /
                           1e3);
  }
  report_compute(state, attention_flops(bh, n, n, d, backward));
}

struct WindowCase {
  const char* name;
  int64_t windows_per_image, heads;
};

constexpr WindowCase kWindowCases[] = {
    {"swin_t_s1_64x64w_3h", 64, 3},
    {"swin_t_s2_64x16w_6h", 16, 6},
    {"swin_t_s3_64x4w_12h", 4, 12},
    {"swin_t_s4_64x1w_24h", 1, 24},
};

void BM_WindowAttentionFused(benchmark::State& state) {
  const WindowCase& c = kWindowCases[state.range(0)];
  const bool backward = state.range(1) != 0;
  state.SetLabel(std::string(c.name) + (backward ? " fwd+bwd" : " fwd"));
  NoGradGuard no_grad;
  const kernels::cuda::WindowAttentionShape s{.windows_total = 64 * c.windows_per_image,
                                              .windows = c.windows_per_image,
                                              .heads = c.heads,
                                              .tokens = 49,
                                              .head_dim = 32,
                                              .scale = 1.0 / std::sqrt(32.0)};
  const Shape qkv{s.windows_total, s.heads, s.tokens, s.head_dim};
  const Tensor q = on_gpu(qkv), k = on_gpu(qkv), v = on_gpu(qkv), out = on_gpu(qkv);
  const Tensor dout = on_gpu(qkv), dq = on_gpu(qkv), dk = on_gpu(qkv), dv = on_gpu(qkv);
  const Tensor bias = on_gpu({s.heads, s.tokens, s.tokens}),
               dbias = on_gpu({s.heads, s.tokens, s.tokens});
  const Tensor mask = on_gpu({s.windows, s.tokens, s.tokens});
  const Tensor probs = on_gpu({s.windows_total, s.heads, s.tokens, s.tokens});
  const Tensor ws = on_gpu({kernels::cuda::window_attention_backward_workspace(s)}, DType::f32);
  const cudaStream_t stream = cuda::current_stream(0);
  for (auto _ : state) {
    state.SetIterationTime(time_ms([&] {
                             kernels::cuda::window_attention_forward<bf16>(
                                 s, p(q), p(k), p(v), p(bias), p(mask), p(probs), p(out), stream);
                             if (backward) {
                               kernels::cuda::window_attention_backward<bf16>(
                                   s, p(q), p(k), p(v), p(probs), p(dout), p(dq), p(dk), p(dv),
                                   p(dbias), p<float>(ws), stream);
                             }
                           }) /
                           1e3);
  }
  report_compute(state, attention_flops(s.windows_total * s.heads, 49, 49, 32, backward));
}

BENCHMARK(BM_SdpaCublas)
    ->ArgsProduct({benchmark::CreateDenseRange(0, std::size(kSdpaCases) - 1, 1), {0, 1}})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_WindowAttentionFused)
    ->ArgsProduct({benchmark::CreateDenseRange(0, std::size(kWindowCases) - 1, 1), {0, 1}})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace fovea::bench

BENCHMARK_MAIN();
