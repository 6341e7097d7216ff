// Matrix products on CUDA: fovea's linear (cuBLASLt with the fused bias epilogue, through
// the op) next to a raw cublasGemmEx of the same product (no bias), in bf16 with f32
// accumulation, at the linear shapes of ViT-B/16 (B=64 x 197 tokens, width 768) and
// Swin-T's first stage (B=64 x 3136 tokens, width 96). Reports TFLOP/s against the bf16
// GEMM ceiling measured in the same process (bench/cuda/roofline.h).
#include <benchmark/benchmark.h>

#include "bench/cuda/roofline.h"
#include "engine/autograd.h"
#include "engine/ops/factory.h"
#include "engine/ops/matmul.h"

namespace fovea::bench {
namespace {

struct LinearShape {
  const char* name;
  int64_t rows, in, out;
};

constexpr LinearShape kShapes[] = {
    {"vit_b_qkv", 64 * 197, 768, 2304},    {"vit_b_proj", 64 * 197, 768, 768},
    {"vit_b_fc1", 64 * 197, 768, 3072},    {"vit_b_fc2", 64 * 197, 3072, 768},
    {"swin_t_s1_qkv", 64 * 3136, 96, 288}, {"swin_t_s1_fc1", 64 * 3136, 96, 384},
    {"swin_t_s1_fc2", 64 * 3136, 384, 96},
};

Tensor on_gpu(const Shape& shape) {
  return randn(shape, {.dtype = DType::f32}).to(DType::bf16).to(Device::cuda(0));
}

void BM_FoveaLinear(benchmark::State& state) {
  const LinearShape& s = kShapes[state.range(0)];
  state.SetLabel(s.name);
  NoGradGuard no_grad;
  const Tensor x = on_gpu({s.rows, s.in}), w = on_gpu({s.out, s.in}), b = on_gpu({s.out});
  for (auto _ : state) {
    state.SetIterationTime(time_ms([&] { benchmark::DoNotOptimize(linear(x, w, b)); }) / 1e3);
  }
  report_compute(state, 2.0 * s.rows * s.in * s.out);
}

void BM_RawCublasGemm(benchmark::State& state) {
  const LinearShape& s = kShapes[state.range(0)];
  state.SetLabel(s.name);
  NoGradGuard no_grad;
  const Tensor x = on_gpu({s.rows, s.in}), w = on_gpu({s.out, s.in});
  Tensor y = on_gpu({s.rows, s.out});
  cublasHandle_t handle = cuda::cublas_handle(0);
  const float one = 1.0f, zero = 0.0f;
  // Row-major y = x w^T is column-major y^T = w x^T: first operand w (stored [out, in]
  // row-major = [in, out] column-major, so transposed), second x^T.
  for (auto _ : state) {
    state.SetIterationTime(time_ms([&] {
                             FOVEA_CUBLAS_CHECK(cublasGemmEx(
                                 handle, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(s.out),
                                 static_cast<int>(s.rows), static_cast<int>(s.in), &one,
                                 w.raw_data(), CUDA_R_16BF, static_cast<int>(s.in), x.raw_data(),
                                 CUDA_R_16BF, static_cast<int>(s.in), &zero, y.raw_data(),
                                 CUDA_R_16BF, static_cast<int>(s.out), CUBLAS_COMPUTE_32F,
                                 CUBLAS_GEMM_DEFAULT));
                           }) /
                           1e3);
  }
  report_compute(state, 2.0 * s.rows * s.in * s.out);
}

void all_shapes(benchmark::internal::Benchmark* b) {
  for (int64_t i = 0; i < static_cast<int64_t>(std::size(kShapes)); ++i) b->Arg(i);
  b->UseManualTime()->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_FoveaLinear)->Apply(all_shapes);
BENCHMARK(BM_RawCublasGemm)->Apply(all_shapes);

}  // namespace
}  // namespace fovea::bench

BENCHMARK_MAIN();
