// CUDA elementwise kernels at the sizes of ConvNeXt-T's activations, next to a
// device-to-device copy of the same bytes (the memory roof measured in this process): add
// (two reads, one write), gelu and silu (one read, one write), forward and backward, in
// f32 and bf16, and add with a per-channel broadcast (the strided kernel). Reports GB/s of
// the bytes each op must move.
#include <benchmark/benchmark.h>

#include "bench/cuda/roofline.h"
#include "engine/engine.h"
#include "engine/ops/cuda/dispatch.h"

namespace fovea {
namespace {

using bench::dtype_arg;
using bench::run_bandwidth;
using bench::stage_shape;

const Device kGpu = Device::cuda(0);

void BM_DeviceCopy(benchmark::State& state) {
  bench::run_stage_copy_baseline(state);
}

void BM_Add(benchmark::State& state) {
  const DType dtype = dtype_arg(state.range(1));
  const Tensor a = randn(stage_shape(state.range(0)), {.dtype = dtype, .device = kGpu});
  const Tensor b = randn(a.shape(), {.dtype = dtype, .device = kGpu});
  NoGradGuard no_grad;
  run_bandwidth(
      state, [&] { benchmark::DoNotOptimize(add(a, b)); }, 3.0 * a.nbytes());
}

void BM_AddChannelBroadcast(benchmark::State& state) {
  const DType dtype = dtype_arg(state.range(1));
  const Shape shape = stage_shape(state.range(0));
  const Tensor a = randn(shape, {.dtype = dtype, .device = kGpu});
  const Tensor bias = randn({shape.back()}, {.dtype = dtype, .device = kGpu});
  NoGradGuard no_grad;
  run_bandwidth(
      state, [&] { benchmark::DoNotOptimize(add(a, bias)); }, 2.0 * a.nbytes());
}

void BM_Gelu(benchmark::State& state) {
  const DType dtype = dtype_arg(state.range(1));
  const Tensor x = randn(stage_shape(state.range(0)), {.dtype = dtype, .device = kGpu});
  NoGradGuard no_grad;
  run_bandwidth(
      state, [&] { benchmark::DoNotOptimize(gelu(x)); }, 2.0 * x.nbytes());
}

void BM_Silu(benchmark::State& state) {
  const DType dtype = dtype_arg(state.range(1));
  const Tensor x = randn(stage_shape(state.range(0)), {.dtype = dtype, .device = kGpu});
  NoGradGuard no_grad;
  run_bandwidth(
      state, [&] { benchmark::DoNotOptimize(silu(x)); }, 2.0 * x.nbytes());
}

// Backward: grad_x from (grad_y, x), three tensors' bytes.
void BM_GeluBackward(benchmark::State& state) {
  const DType dtype = dtype_arg(state.range(1));
  Tensor x = randn(stage_shape(state.range(0)), {.dtype = dtype, .device = kGpu});
  x.requires_grad_(true);
  const Tensor y = gelu(x);
  const Tensor g = randn(x.shape(), {.dtype = dtype, .device = kGpu});
  // Clearing the gradient first keeps the accumulation add out of the timing.
  run_bandwidth(
      state,
      [&] {
        x.set_grad(Tensor());
        y.backward(g, /*retain_graph=*/true);
      },
      3.0 * x.nbytes());
}

BENCHMARK(BM_DeviceCopy)->Apply(bench::stage_and_dtype_args);
BENCHMARK(BM_Add)->Apply(bench::stage_and_dtype_args);
BENCHMARK(BM_AddChannelBroadcast)->Apply(bench::stage_and_dtype_args);
BENCHMARK(BM_Gelu)->Apply(bench::stage_and_dtype_args);
BENCHMARK(BM_Silu)->Apply(bench::stage_and_dtype_args);
BENCHMARK(BM_GeluBackward)->Apply(bench::stage_and_dtype_args);

}  // namespace
}  // namespace fovea

BENCHMARK_MAIN();
