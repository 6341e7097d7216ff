// The multi-tensor AdamW (kernels/cuda/optimizer.cu) over the parameter sets of ResNet-50
// (161 tensors, 25.6M parameters) and ViT-B/16 (152 tensors, 86.6M), with f32 parameters
// and with bf16 parameters plus their f32 master copies. Both move 28 bytes per parameter
// (see the .cu's roofline), reported as GB/s against the device-to-device copy measured in
// the same process. bench/pytorch/optimizer_cuda.py times PyTorch's fused and foreach
// AdamW over the same parameter sets.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench/cuda/roofline.h"
#include "engine/autograd.h"
#include "engine/ops/factory.h"
#include "kernels/cuda/optimizer.h"

namespace fovea::bench {
namespace {

// Parameter element counts, layer by layer (weights, then norm weight and bias).
std::vector<int64_t> resnet50_sizes() {
  std::vector<int64_t> sizes = {7 * 7 * 3 * 64, 64, 64};
  const int64_t blocks[] = {3, 4, 6, 3}, widths[] = {64, 128, 256, 512};
  int64_t in = 64;
  for (int s = 0; s < 4; ++s) {
    const int64_t w = widths[s], out = 4 * w;
    for (int64_t b = 0; b < blocks[s]; ++b) {
      for (int64_t n : {in * w, w, w, 9 * w * w, w, w, w * out, out, out}) sizes.push_back(n);
      if (b == 0) {
        for (int64_t n : {in * out, out, out}) sizes.push_back(n);
      }
      in = out;
    }
  }
  sizes.push_back(2048 * 1000);
  sizes.push_back(1000);
  return sizes;
}

std::vector<int64_t> vit_b_sizes() {
  const int64_t d = 768;
  std::vector<int64_t> sizes = {16 * 16 * 3 * d, d, d, 197 * d};  // patch embed, cls, pos
  for (int b = 0; b < 12; ++b) {
    for (int64_t n : {d, d, d * 3 * d, 3 * d, d * d, d, d, d, d * 4 * d, 4 * d, 4 * d * d, d}) {
      sizes.push_back(n);
    }
  }
  for (int64_t n : {d, d, d * 1000, int64_t{1000}}) sizes.push_back(n);
  return sizes;
}

template <typename T>
void run_adamw(benchmark::State& state, const std::vector<int64_t>& sizes, DType dtype) {
  std::vector<Tensor> keep;  // owns the device memory
  std::vector<kernels::cuda::AdamWTensor<T>> tensors;
  auto gpu = [&](int64_t n, DType type) {
    keep.push_back(randn({n}, {.dtype = DType::f32}).to(type).to(Device::cuda(0)));
    return keep.back().raw_data();
  };
  int64_t total = 0;
  for (int64_t n : sizes) {
    const bool wide = dtype == DType::f32;
    tensors.push_back({.master = static_cast<float*>(gpu(n, DType::f32)),
                       .param = wide ? nullptr : static_cast<T*>(gpu(n, dtype)),
                       .grad = static_cast<const T*>(gpu(n, dtype)),
                       .exp_avg = static_cast<float*>(gpu(n, DType::f32)),
                       .exp_avg_sq = static_cast<float*>(gpu(n, DType::f32)),
                       .n = n});
    total += n;
  }
  state.counters["params"] = static_cast<double>(total);
  kernels::AdamWStep step{.lr = 1e-4, .weight_decay = 0.05};
  const cudaStream_t stream = cuda::current_stream(0);
  for (auto _ : state) {
    state.SetIterationTime(time_ms([&] {
                             kernels::cuda::adamw_multi_tensor<T>(
                                 step, tensors.data(), static_cast<int64_t>(tensors.size()),
                                 stream);
                             ++step.step;
                           }) /
                           1e3);
  }
  report_bandwidth(state, 28.0 * static_cast<double>(total));
}

void BM_AdamW_ResNet50_f32(benchmark::State& state) {
  run_adamw<float>(state, resnet50_sizes(), DType::f32);
}
void BM_AdamW_ResNet50_bf16_master(benchmark::State& state) {
  run_adamw<__nv_bfloat16>(state, resnet50_sizes(), DType::bf16);
}
void BM_AdamW_ViTB_f32(benchmark::State& state) {
  run_adamw<float>(state, vit_b_sizes(), DType::f32);
}
void BM_AdamW_ViTB_bf16_master(benchmark::State& state) {
  run_adamw<__nv_bfloat16>(state, vit_b_sizes(), DType::bf16);
}

BENCHMARK(BM_AdamW_ResNet50_f32)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AdamW_ResNet50_bf16_master)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AdamW_ViTB_f32)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AdamW_ViTB_bf16_master)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace fovea::bench

BENCHMARK_MAIN();
