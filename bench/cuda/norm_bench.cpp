// LayerNorm and BatchNorm on CUDA (kernels/cuda/layer_norm.cu, batch_norm.cu), bf16, at the seed
// models' shapes: ConvNeXt-T's channel LayerNorm per stage (B=64 NHWC maps), Swin-T's token
// LayerNorm per stage, ViT-B's [64 * 197, 768], and BatchNorm at ResNet-50's stages.
// Each case reports GB/s for the bytes the pass must move (x read and y written; the
// backward also reads dy and writes dx) against the copy ceiling measured in the same
// process; BM_CopyBaseline is the device-to-device copy of the same x (cuDNN has no plain
// LayerNorm; PyTorch's kernels are timed by bench/pytorch/norm_cuda.py).
#include <benchmark/benchmark.h>

#include <string>

#include "bench/cuda/roofline.h"
#include "engine/autograd.h"
#include "engine/ops/factory.h"
#include "kernels/cuda/norm.h"

namespace fovea::bench {
namespace {

struct RowsCase {
  const char* name;
  int64_t rows, cols;
};

constexpr RowsCase kLayerNormCases[] = {
    {"convnext_t_s1_64x56x56x96", 64 * 56 * 56, 96},
    {"convnext_t_s2_64x28x28x192", 64 * 28 * 28, 192},
    {"convnext_t_s3_64x14x14x384", 64 * 14 * 14, 384},
    {"convnext_t_s4_64x7x7x768", 64 * 7 * 7, 768},
    {"swin_t_s1_64x3136x96", 64 * 3136, 96},
    {"swin_t_s4_64x49x768", 64 * 49, 768},
    {"vit_b_64x197x768", 64 * 197, 768},
};

constexpr RowsCase kBatchNormCases[] = {
    {"resnet50_s1_64x56x56x256", 64 * 56 * 56, 256},
    {"resnet50_s2_64x28x28x512", 64 * 28 * 28, 512},
    {"resnet50_s3_64x14x14x1024", 64 * 14 * 14, 1024},
    {"resnet50_s4_64x7x7x2048", 64 * 7 * 7, 2048},
    {"effnet_b0_64x112x112x32", 64 * 112 * 112, 32},
};

using bf16 = __nv_bfloat16;

Tensor on_gpu(const Shape& shape, DType dtype = DType::bf16) {
  return randn(shape, {.dtype = DType::f32}).to(dtype).to(Device::cuda(0));
}

template <typename T = bf16>
T* p(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

// x read and y written (forward); dy, x read and dx written plus the column-sum pass
// reading dy and x again (backward).
double row_bytes(const RowsCase& c, bool backward) {
  const double tensor = 2.0 * c.rows * c.cols;
  return backward ? 2 * tensor + 3 * tensor + 2 * tensor : 2 * tensor;
}

void BM_LayerNorm(benchmark::State& state) {
  const RowsCase& c = kLayerNormCases[state.range(0)];
  const bool backward = state.range(1) != 0;
  state.SetLabel(std::string(c.name) + (backward ? " fwd+bwd" : " fwd"));
  NoGradGuard no_grad;
  const Tensor x = on_gpu({c.rows, c.cols}), y = on_gpu({c.rows, c.cols});
  const Tensor w = on_gpu({c.cols}), b = on_gpu({c.cols});
  const Tensor mean = on_gpu({c.rows}, DType::f32), rstd = on_gpu({c.rows}, DType::f32);
  const Tensor gy = on_gpu({c.rows, c.cols}), gx = on_gpu({c.rows, c.cols});
  const Tensor gw = on_gpu({c.cols}), gb = on_gpu({c.cols});
  const Tensor ws =
      on_gpu({kernels::cuda::layer_norm_backward_workspace(c.rows, c.cols)}, DType::f32);
  const cudaStream_t stream = cuda::current_stream(0);
  for (auto _ : state) {
    state.SetIterationTime(time_ms([&] {
                             kernels::cuda::layer_norm_forward<bf16>(p(x), p(w), p(b), 1e-6, p(y),
                                                                     p<float>(mean), p<float>(rstd),
                                                                     c.rows, c.cols, stream);
                             if (backward) {
                               kernels::cuda::layer_norm_backward<bf16>(
                                   p(gy), p(x), p<float>(mean), p<float>(rstd), p(w), p(gx), p(gw),
                                   p(gb), p<float>(ws), c.rows, c.cols, stream);
                             }
                           }) /
                           1e3);
  }
  report_bandwidth(state, row_bytes(c, backward));
}

void BM_BatchNormTrain(benchmark::State& state) {
  const RowsCase& c = kBatchNormCases[state.range(0)];
  const bool backward = state.range(1) != 0;
  state.SetLabel(std::string(c.name) + (backward ? " fwd+bwd" : " fwd"));
  NoGradGuard no_grad;
  const Tensor x = on_gpu({c.rows, c.cols}), y = on_gpu({c.rows, c.cols});
  const Tensor w = on_gpu({c.cols}), b = on_gpu({c.cols});
  const Tensor mean = on_gpu({c.cols}, DType::f32), var = on_gpu({c.cols}, DType::f32);
  const Tensor rstd = on_gpu({c.cols}, DType::f32);
  const Tensor rm = on_gpu({c.cols}, DType::f32), rv = on_gpu({c.cols}, DType::f32);
  const Tensor gy = on_gpu({c.rows, c.cols}), gx = on_gpu({c.rows, c.cols});
  const Tensor gw = on_gpu({c.cols}), gb = on_gpu({c.cols});
  const Tensor ws = on_gpu({kernels::cuda::batch_norm_workspace(c.rows, c.cols)}, DType::f32);
  const cudaStream_t stream = cuda::current_stream(0);
  for (auto _ : state) {
    state.SetIterationTime(
        time_ms([&] {
          kernels::cuda::batch_norm_stats<bf16>(p(x), p<float>(mean), p<float>(var), p<float>(rstd),
                                                1e-5, p<float>(ws), c.rows, c.cols, stream);
          kernels::cuda::batch_norm_update_running<float>(
              p<float>(mean), p<float>(var), p<float>(rm), p<float>(rv), 0.1, 1.0, c.cols, stream);
          kernels::cuda::batch_norm_forward<bf16>(p(x), p<float>(mean), p<float>(rstd), p(w), p(b),
                                                  kernels::NormActivation::relu, p(y), c.rows,
                                                  c.cols, stream);
          if (backward) {
            kernels::cuda::batch_norm_backward<bf16>(p(gy), p(x), p<float>(mean), p<float>(rstd),
                                                     p(w), true, p(gx), p(gw), p(gb), p<float>(ws),
                                                     c.rows, c.cols, stream);
          }
        }) /
        1e3);
  }
  // Statistics read x twice, the forward reads x and writes y; the backward reads dy and
  // x twice (sums, then dx) and writes dx.
  const double tensor = 2.0 * c.rows * c.cols;
  report_bandwidth(state, backward ? 4 * tensor + 5 * tensor : 4 * tensor);
}

void BM_CopyBaseline(benchmark::State& state) {
  const RowsCase& c = kLayerNormCases[state.range(0)];
  state.SetLabel(c.name);
  run_copy_baseline(state, 2 * static_cast<size_t>(c.rows * c.cols));  // bf16 x
}

BENCHMARK(BM_LayerNorm)
    ->ArgsProduct({benchmark::CreateDenseRange(0, std::size(kLayerNormCases) - 1, 1), {0, 1}})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BatchNormTrain)
    ->ArgsProduct({benchmark::CreateDenseRange(0, std::size(kBatchNormCases) - 1, 1), {0, 1}})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CopyBaseline)
    ->DenseRange(0, std::size(kLayerNormCases) - 1, 1)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace fovea::bench

BENCHMARK_MAIN();
