// Swin's shifted window partition and reverse (kernels/cuda/window_partition.cu) at
// Swin-T's four stages (batch 64, window 7, shift 3; stage 4's 7x7 grid is one window,
// so the model does not shift there, but the kernel is timed with the same shift), in f32
// and bf16, next to a device-to-device copy of the same bytes (the roof this data
// movement can reach) and the composition the kernel replaced (roll over H and W, then a
// permuted contiguous copy). Every benchmark reports GB/s of the bytes the op must move:
// the activation read once and written once.
#include <benchmark/benchmark.h>

#include "bench/cuda/roofline.h"
#include "engine/engine.h"
#include "engine/ops/window_partition.h"

namespace fovea {
namespace {

using bench::dtype_arg;
using bench::run_bandwidth;
using bench::stage_shape;

const Device kGpu = Device::cuda(0);
constexpr Window kWindow{7, 7};
constexpr Window kShift{3, 3};

void BM_DeviceCopy(benchmark::State& state) {
  bench::run_stage_copy_baseline(state);
}

void BM_WindowPartition(benchmark::State& state) {
  const Tensor x =
      randn(stage_shape(state.range(0)), {.dtype = dtype_arg(state.range(1)), .device = kGpu});
  NoGradGuard no_grad;
  run_bandwidth(
      state, [&] { benchmark::DoNotOptimize(window_partition(x, kWindow, kShift)); },
      2.0 * x.nbytes());
}

void BM_WindowReverse(benchmark::State& state) {
  const Shape shape = stage_shape(state.range(0));
  NoGradGuard no_grad;
  const Tensor windows = window_partition(
      randn(shape, {.dtype = dtype_arg(state.range(1)), .device = kGpu}), kWindow, kShift);
  run_bandwidth(
      state,
      [&] {
        benchmark::DoNotOptimize(window_reverse(windows, kWindow, shape[1], shape[2], kShift));
      },
      2.0 * windows.nbytes());
}

// What Swin did before the fused gather: torch.roll, then reshape-permute-reshape, whose
// last reshape makes a contiguous copy.
void BM_ComposedRollAndPartition(benchmark::State& state) {
  const Shape shape = stage_shape(state.range(0));
  const Tensor x = randn(shape, {.dtype = dtype_arg(state.range(1)), .device = kGpu});
  NoGradGuard no_grad;
  run_bandwidth(
      state,
      [&] {
        benchmark::DoNotOptimize(roll(x, {-kShift[0], -kShift[1]}, {1, 2})
                                     .reshape({shape[0], shape[1] / kWindow[0], kWindow[0],
                                               shape[2] / kWindow[1], kWindow[1], shape[3]})
                                     .permute({0, 1, 3, 2, 4, 5})
                                     .reshape({-1, kWindow[0] * kWindow[1], shape[3]}));
      },
      2.0 * x.nbytes());
}

BENCHMARK(BM_DeviceCopy)->Apply(bench::stage_and_dtype_args);
BENCHMARK(BM_WindowPartition)->Apply(bench::stage_and_dtype_args);
BENCHMARK(BM_WindowReverse)->Apply(bench::stage_and_dtype_args);
BENCHMARK(BM_ComposedRollAndPartition)->Apply(bench::stage_and_dtype_args);

}  // namespace
}  // namespace fovea

BENCHMARK_MAIN();
