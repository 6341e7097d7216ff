// Dense conv2d through cuDNN (fovea's CUDA path, algorithms found once per shape) at
// ResNet-50's shapes, B=64, bf16: forward, backward-data and backward-weight. Reports
// TFLOP/s (2 * N*Ho*Wo*Cout*kh*kw*Cin per pass) against the bf16 GEMM ceiling.
#include <benchmark/benchmark.h>

#include "bench/cuda/roofline.h"
#include "engine/autograd.h"
#include "engine/ops/cuda/conv.h"
#include "engine/ops/factory.h"

namespace fovea::bench {
namespace {

struct ConvCase {
  const char* name;
  int64_t size, in, out, kernel, stride;
};

constexpr ConvCase kCases[] = {
    {"stem_7x7_s2", 224, 3, 64, 7, 2},   {"layer1_1x1_64", 56, 64, 64, 1, 1},
    {"layer1_3x3_64", 56, 64, 64, 3, 1}, {"layer1_1x1_256", 56, 64, 256, 1, 1},
    {"layer2_3x3_s2", 56, 128, 128, 3, 2}, {"layer3_3x3_256", 14, 256, 256, 3, 1},
    {"layer4_3x3_512", 7, 512, 512, 3, 1},
};

kernels::Conv2dShape shape_of(const ConvCase& c) {
  kernels::Conv2dShape s;
  s.batch = 64;
  s.in_h = s.in_w = c.size;
  s.in_channels = c.in;
  s.out_channels = c.out;
  s.kernel_h = s.kernel_w = c.kernel;
  s.stride_h = s.stride_w = c.stride;
  s.pad_h = s.pad_w = c.kernel / 2;
  s.out_h = s.out_w = kernels::conv_output_size(c.size, c.kernel, c.stride, c.kernel / 2, 1);
  return s;
}

Tensor on_gpu(const Shape& shape) {
  return randn(shape, {.dtype = DType::f32}).to(DType::bf16).to(Device::cuda(0));
}

enum Pass { kForward, kBackwardData, kBackwardWeight };

void BM_CudnnConv(benchmark::State& state) {
  const ConvCase& c = kCases[state.range(0)];
  const Pass pass = static_cast<Pass>(state.range(1));
  const kernels::Conv2dShape s = shape_of(c);
  state.SetLabel(std::string(c.name) + (pass == kForward        ? " fwd"
                                        : pass == kBackwardData ? " bwd_data"
                                                                : " bwd_weight"));
  NoGradGuard no_grad;
  const Tensor x = on_gpu({s.batch, s.in_h, s.in_w, s.in_channels});
  const Tensor w = on_gpu({s.out_channels, s.kernel_h, s.kernel_w, s.in_channels});
  const Tensor gy = on_gpu({s.batch, s.out_h, s.out_w, s.out_channels});
  for (auto _ : state) {
    state.SetIterationTime(time_ms([&] {
                             if (pass == kForward) cuda::conv2d_forward(s, x, w, Tensor());
                             if (pass == kBackwardData)
                               cuda::conv2d_backward_data(s, gy, w, DType::bf16);
                             if (pass == kBackwardWeight)
                               cuda::conv2d_backward_weight(s, gy, x, DType::bf16);
                           }) /
                           1e3);
  }
  report_compute(state, 2.0 * s.batch * s.out_h * s.out_w * s.out_channels * s.kernel_h *
                            s.kernel_w * s.in_channels);
}

void all_cases(benchmark::internal::Benchmark* b) {
  for (int64_t i = 0; i < static_cast<int64_t>(std::size(kCases)); ++i) {
    for (int64_t pass = 0; pass < 3; ++pass) b->Args({i, pass});
  }
  b->UseManualTime()->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_CudnnConv)->Apply(all_cases);

}  // namespace
}  // namespace fovea::bench

BENCHMARK_MAIN();
