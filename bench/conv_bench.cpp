// One conv2d training step (forward, backward-data, backward-weight) through the op and
// autograd, for ResNet-18's conv shapes at batch 32, plus one depthwise conv. It runs on
// 2 threads unless OMP_NUM_THREADS says otherwise; bench/conv_vs_pytorch.sh puts the
// same steps in PyTorch beside it. The FLOP/s counter counts 2 FLOPs per multiply-add of
// each pass (the stem has no backward-data: its input is the image).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops/conv.h"
#include "engine/ops/factory.h"

namespace fovea {
namespace {

struct ConvCase {
  std::string name;
  int64_t batch, size, in_channels, out_channels, kernel, stride, padding, groups;
  bool input_grad;  // the stem's input is the image, which needs no gradient
};

// Must match the cases of bench/pytorch/conv_step.py.
const std::vector<ConvCase>& cases() {
  static const std::vector<ConvCase> all = {
      {"stem_7x7_3_64_224", 32, 224, 3, 64, 7, 2, 3, 1, false},
      {"layer1_3x3_64_56", 32, 56, 64, 64, 3, 1, 1, 1, true},
      {"layer2_3x3_128_28", 32, 28, 128, 128, 3, 1, 1, 1, true},
      {"layer2_down_1x1_64_128", 32, 56, 64, 128, 1, 2, 0, 1, true},
      {"layer3_3x3_256_14", 32, 14, 256, 256, 3, 1, 1, 1, true},
      {"layer4_3x3_512_7", 32, 7, 512, 512, 3, 1, 1, 1, true},
      {"dw_3x3_144_56", 32, 56, 144, 144, 3, 1, 1, 144, true},
  };
  return all;
}

void conv_step(benchmark::State& state, const ConvCase& c) {
  Tensor x = randn({c.batch, c.size, c.size, c.in_channels}).requires_grad_(c.input_grad);
  Tensor w = randn({c.out_channels, c.kernel, c.kernel, c.in_channels / c.groups}).requires_grad_();
  const Conv2dOptions options{.stride = {c.stride, c.stride},
                              .padding = {c.padding, c.padding},
                              .groups = c.groups};
  Tensor gy;
  {
    NoGradGuard no_grad;
    gy = randn(conv2d(x, w, Tensor(), options).shape());
  }
  for (auto _ : state) {
    x.set_grad(Tensor());
    w.set_grad(Tensor());
    const Tensor y = conv2d(x, w, Tensor(), options);
    y.backward(gy);
    benchmark::DoNotOptimize(w.grad().raw_data());
  }
  const double out_pixels = static_cast<double>(gy.numel() / c.out_channels);
  const double macs = out_pixels * static_cast<double>(c.out_channels * c.kernel * c.kernel *
                                                        (c.in_channels / c.groups));
  const double passes = c.input_grad ? 3.0 : 2.0;
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * macs * passes,
                                                benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace
}  // namespace fovea

int main(int argc, char** argv) {
  if (std::getenv("OMP_NUM_THREADS") == nullptr) omp_set_num_threads(2);
  for (const fovea::ConvCase& c : fovea::cases()) {
    benchmark::RegisterBenchmark(("ConvStep/" + c.name).c_str(), fovea::conv_step, c)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
