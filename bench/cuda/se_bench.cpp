// Squeeze-and-excitation on CUDA (kernels/cuda/squeeze_excite.cu), bf16, at
// EfficientNet-B0's and SE-ResNeXt-50's SE inputs (B=64, NHWC): the squeeze (global
// average pool) and the excite (channel scale), forward and backward, in GB/s of the
// bytes each must move against the copy ceiling. BM_SeCopyBaseline copies the same map.
// PyTorch's x.mean((2, 3)) and x * s at the same shapes: bench/pytorch/se_cuda.py.
#include <benchmark/benchmark.h>

#include <string>

#include "bench/cuda/roofline.h"
#include "engine/autograd.h"
#include "engine/ops/factory.h"
#include "kernels/cuda/squeeze_excite.h"

namespace fovea::bench {
namespace {

struct SeCase {
  const char* name;
  int64_t size, channels;
};

constexpr SeCase kCases[] = {
    {"effnet_b0_112x112x32", 112, 32}, {"effnet_b0_56x56x144", 56, 144},
    {"effnet_b0_28x28x240", 28, 240},  {"effnet_b0_14x14x672", 14, 672},
    {"effnet_b0_7x7x1152", 7, 1152},   {"seresnext50_56x56x256", 56, 256},
    {"seresnext50_7x7x2048", 7, 2048},
};

using bf16 = __nv_bfloat16;

bf16* p(const Tensor& t) {
  return static_cast<bf16*>(t.raw_data());
}

Tensor on_gpu(const Shape& shape, DType dtype = DType::bf16) {
  return randn(shape, {.dtype = DType::f32}).to(dtype).to(Device::cuda(0));
}

kernels::cuda::SpatialShape shape_of(const SeCase& c) {
  return {.batch = 64, .spatial = c.size * c.size, .channels = c.channels};
}

// range(1): 0 squeeze forward, 1 excite forward, 2 squeeze + excite forward and backward.
void BM_SqueezeExcite(benchmark::State& state) {
  const SeCase& c = kCases[state.range(0)];
  const int64_t pass = state.range(1);
  const char* names[] = {" squeeze", " excite", " fwd+bwd"};
  state.SetLabel(std::string(c.name) + names[pass]);
  NoGradGuard no_grad;
  const kernels::cuda::SpatialShape s = shape_of(c);
  const Tensor x = on_gpu({s.batch, s.spatial, s.channels}),
               y = on_gpu({s.batch, s.spatial, s.channels});
  const Tensor dy = on_gpu({s.batch, s.spatial, s.channels}),
               dx = on_gpu({s.batch, s.spatial, s.channels});
  const Tensor pooled = on_gpu({s.batch, s.channels}), gate = on_gpu({s.batch, s.channels});
  const Tensor dgate = on_gpu({s.batch, s.channels});
  const Tensor ws = on_gpu({kernels::cuda::spatial_sum_workspace(s)}, DType::f32);
  float* workspace = static_cast<float*>(ws.raw_data());
  const double inv = 1.0 / static_cast<double>(s.spatial);
  const cudaStream_t stream = cuda::current_stream(0);
  for (auto _ : state) {
    state.SetIterationTime(
        time_ms([&] {
          if (pass != 1) {
            kernels::cuda::spatial_sum<bf16>(p(x), nullptr, inv, p(pooled), workspace, s, stream);
          }
          if (pass != 0)
            kernels::cuda::channel_broadcast<bf16>(p(x), p(gate), 1.0, p(y), s, stream);
          if (pass == 2) {
            kernels::cuda::channel_broadcast<bf16>(p(dy), p(gate), 1.0, p(dx), s, stream);
            kernels::cuda::spatial_sum<bf16>(p(dy), p(x), 1.0, p(dgate), workspace, s, stream);
            kernels::cuda::channel_broadcast<bf16>(nullptr, p(pooled), inv, p(dx), s, stream);
          }
        }) /
        1e3);
  }
  const double map = 2.0 * s.batch * s.spatial * s.channels;
  const double bytes[] = {map, 2 * map, map + 2 * map + 2 * map + 2 * map + map};
  report_bandwidth(state, bytes[pass]);
}

void BM_SeCopyBaseline(benchmark::State& state) {
  const SeCase& c = kCases[state.range(0)];
  state.SetLabel(c.name);
  const kernels::cuda::SpatialShape s = shape_of(c);
  run_copy_baseline(state, 2 * static_cast<size_t>(s.batch * s.spatial * s.channels));
}

BENCHMARK(BM_SqueezeExcite)
    ->ArgsProduct({benchmark::CreateDenseRange(0, std::size(kCases) - 1, 1), {0, 1, 2}})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SeCopyBaseline)
    ->DenseRange(0, std::size(kCases) - 1, 1)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace fovea::bench

BENCHMARK_MAIN();
