#pragma once
// The two ceilings every CUDA kernel benchmark is judged against, measured in the same
// process on the same GPU (METHOD.md: never a datasheet number):
//   - bandwidth: a large device-to-device cudaMemcpy (reads and writes, so 2 x bytes);
//   - compute:   a large cuBLAS bf16 GEMM with f32 accumulation.
// A benchmark reports its achieved GB/s or TFLOP/s and, through roofline_counters(), the
// percentage of the matching ceiling.
#include <benchmark/benchmark.h>
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <string>

#include "engine/cuda/runtime.h"
#include "kernels/dtype.h"
#include "engine/tensor.h"
#include "kernels/cuda/check.h"

namespace fovea::bench {

struct Roofline {
  double copy_gb_per_s = 0.0;
  double bf16_gemm_tflop_per_s = 0.0;
};

// Milliseconds per call of `work`, averaged over `repeats` after one warm-up call.
template <typename Work>
double time_ms(Work&& work, int repeats = 20) {
  cudaEvent_t start, stop;
  FOVEA_CUDA_CHECK(cudaEventCreate(&start));
  FOVEA_CUDA_CHECK(cudaEventCreate(&stop));
  work();
  FOVEA_CUDA_CHECK(cudaEventRecord(start));
  for (int i = 0; i < repeats; ++i) work();
  FOVEA_CUDA_CHECK(cudaEventRecord(stop));
  FOVEA_CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0.0f;
  FOVEA_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  FOVEA_CUDA_CHECK(cudaEventDestroy(start));
  FOVEA_CUDA_CHECK(cudaEventDestroy(stop));
  return ms / repeats;
}

inline Roofline measure_roofline() {
  Roofline roofline;
  const size_t copy_bytes = size_t{1} << 30;
  void* src = nullptr;
  void* dst = nullptr;
  FOVEA_CUDA_CHECK(cudaMalloc(&src, copy_bytes));
  FOVEA_CUDA_CHECK(cudaMalloc(&dst, copy_bytes));
  const double copy_ms = time_ms(
      [&] { FOVEA_CUDA_CHECK(cudaMemcpyAsync(dst, src, copy_bytes, cudaMemcpyDeviceToDevice)); });
  roofline.copy_gb_per_s = 2.0 * copy_bytes / (copy_ms * 1e6);
  FOVEA_CUDA_CHECK(cudaFree(src));
  FOVEA_CUDA_CHECK(cudaFree(dst));

  const int n = 8192;
  __nv_bfloat16 *a = nullptr, *b = nullptr, *c = nullptr;
  const size_t matrix_bytes = sizeof(__nv_bfloat16) * n * n;
  FOVEA_CUDA_CHECK(cudaMalloc(&a, matrix_bytes));
  FOVEA_CUDA_CHECK(cudaMalloc(&b, matrix_bytes));
  FOVEA_CUDA_CHECK(cudaMalloc(&c, matrix_bytes));
  FOVEA_CUDA_CHECK(cudaMemset(a, 0, matrix_bytes));
  FOVEA_CUDA_CHECK(cudaMemset(b, 0, matrix_bytes));
  cublasHandle_t handle = cuda::cublas_handle(cuda::current_device());
  const float one = 1.0f, zero = 0.0f;
  const double gemm_ms = time_ms([&] {
    FOVEA_CUBLAS_CHECK(cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a, CUDA_R_16BF,
                                    n, b, CUDA_R_16BF, n, &zero, c, CUDA_R_16BF, n,
                                    CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  });
  roofline.bf16_gemm_tflop_per_s = 2.0 * n * n * double(n) / (gemm_ms * 1e9);
  FOVEA_CUDA_CHECK(cudaFree(a));
  FOVEA_CUDA_CHECK(cudaFree(b));
  FOVEA_CUDA_CHECK(cudaFree(c));
  return roofline;
}

// Measured once per process, on first use.
inline const Roofline& roofline() {
  static const Roofline measured = measure_roofline();
  return measured;
}

// Sets the GB/s (or TFLOP/s) counter and its percentage of the ceiling, from the bytes a
// kernel must move (or the FLOPs it must do) per iteration.
inline void report_bandwidth(benchmark::State& state, double bytes_per_iteration) {
  state.counters["GB/s"] = benchmark::Counter(bytes_per_iteration / 1e9 * state.iterations(),
                                              benchmark::Counter::kIsRate);
  state.counters["copy_GB/s"] = roofline().copy_gb_per_s;
}
inline void report_compute(benchmark::State& state, double flops_per_iteration) {
  state.counters["TFLOP/s"] = benchmark::Counter(flops_per_iteration / 1e12 * state.iterations(),
                                                 benchmark::Counter::kIsRate);
  state.counters["gemm_TFLOP/s"] = roofline().bf16_gemm_tflop_per_s;
}

// The copy baseline a memory-bound kernel is shown next to: a device-to-device copy of
// `bytes`, timed and reported as the kernel benchmarks are.
inline void run_copy_baseline(benchmark::State& state, size_t bytes) {
  void* src = nullptr;
  void* dst = nullptr;
  FOVEA_CUDA_CHECK(cudaMalloc(&src, bytes));
  FOVEA_CUDA_CHECK(cudaMalloc(&dst, bytes));
  const cudaStream_t stream = cuda::current_stream(cuda::current_device());
  for (auto _ : state) {
    state.SetIterationTime(
        time_ms([&] {
          FOVEA_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream));
        }) /
        1e3);
  }
  report_bandwidth(state, 2.0 * bytes);
  FOVEA_CUDA_CHECK(cudaFree(src));
  FOVEA_CUDA_CHECK(cudaFree(dst));
}

// Times `work` (mean of `repeats` calls) once per benchmark iteration and reports the GB/s
// of the `bytes` it must move per call.
template <typename Work>
void run_bandwidth(benchmark::State& state, Work&& work, double bytes, int repeats = 20) {
  for (auto _ : state) state.SetIterationTime(time_ms(work, repeats) / 1e3);
  report_bandwidth(state, bytes);
}

// The NHWC activation maps of ConvNeXt-T's and Swin-T's four stages at batch 64, by index
// (the two share them: 96 * 2^s channels on a 56 / 2^s grid).
inline Shape stage_shape(int64_t stage) {
  switch (stage) {
    case 0:
      return {64, 56, 56, 96};
    case 1:
      return {64, 28, 28, 192};
    case 2:
      return {64, 14, 14, 384};
    default:
      return {64, 7, 7, 768};
  }
}

// A benchmark argument that picks the dtype: 0 for f32, 1 for bf16.
inline DType dtype_arg(int64_t code) {
  return code == 0 ? DType::f32 : DType::bf16;
}

// Registers a benchmark over stage_shape's four stages in f32 and bf16: args {stage, bf16}.
inline void stage_and_dtype_args(benchmark::internal::Benchmark* b) {
  for (int64_t dtype : {0, 1}) {
    for (int64_t stage : {0, 1, 2, 3}) b->Args({stage, dtype});
  }
  b->ArgNames({"stage", "bf16"})->UseManualTime()->Unit(benchmark::kMicrosecond);
}

// The copy baseline of a {stage, bf16} benchmark: one copy of that stage's activation.
inline void run_stage_copy_baseline(benchmark::State& state) {
  const Shape shape = stage_shape(state.range(0));
  run_copy_baseline(
      state, static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype_arg(state.range(1))));
}

}  // namespace fovea::bench
