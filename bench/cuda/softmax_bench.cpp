// Softmax and cross entropy on CUDA (kernels/cuda/softmax.cu, kernels/cuda/loss.cu) at
// the seed models' shapes: attention-score rows (ViT-B [64 * 12 * 197, 197], Swin-T
// [64 * 64 * 3 * 49, 49]) in bf16, and the ImageNet classifier head's cross entropy
// ([256, 1000] and [256, 100] f32 logits, label smoothing 0.1). GB/s of the bytes each
// pass must move against the copy ceiling; BM_SoftmaxCopyBaseline copies the same scores,
// and BM_CudnnSoftmax runs cuDNN's softmax (cudnnSoftmaxForward/Backward, accurate mode)
// on the same tensors. PyTorch's softmax and F.cross_entropy at the same shapes:
// bench/pytorch/softmax_cuda.py.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include <cudnn.h>

#include "bench/cuda/roofline.h"
#include "engine/autograd.h"
#include "engine/cuda/runtime.h"
#include "engine/ops/factory.h"
#include "kernels/cuda/loss.h"
#include "kernels/cuda/softmax.h"

namespace fovea::bench {
namespace {

struct SoftmaxCase {
  const char* name;
  int64_t rows, cols;
};

constexpr SoftmaxCase kSoftmaxCases[] = {
    {"vit_b_scores_64x12x197x197", 64 * 12 * 197, 197},
    {"swin_t_s1_scores_4096x3x49x49", 4096 * 3 * 49, 49},
    {"imagenet_head_256x1000", 256, 1000},
};

struct LossCase {
  const char* name;
  int64_t rows, classes;
};

constexpr LossCase kLossCases[] = {
    {"imagenet1k_head_256x1000", 256, 1000},
    {"imagenet100_head_256x100", 256, 100},
    {"imagenet1k_head_1024x1000", 1024, 1000},
};

template <typename T>
T* p(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

Tensor on_gpu(const Shape& shape, DType dtype) {
  return randn(shape, {.dtype = DType::f32}).to(dtype).to(Device::cuda(0));
}

void BM_Softmax(benchmark::State& state) {
  const SoftmaxCase& c = kSoftmaxCases[state.range(0)];
  const bool backward = state.range(1) != 0;
  state.SetLabel(std::string(c.name) + (backward ? " fwd+bwd" : " fwd"));
  NoGradGuard no_grad;
  using T = __nv_bfloat16;
  const Tensor x = on_gpu({c.rows, c.cols}, DType::bf16), y = on_gpu({c.rows, c.cols}, DType::bf16);
  const Tensor dy = on_gpu({c.rows, c.cols}, DType::bf16),
               dx = on_gpu({c.rows, c.cols}, DType::bf16);
  const kernels::SoftmaxShape shape{.outer = c.rows, .dim = c.cols, .inner = 1};
  const cudaStream_t stream = cuda::current_stream(0);
  for (auto _ : state) {
    state.SetIterationTime(
        time_ms([&] {
          kernels::cuda::softmax_forward<T>(shape, false, p<T>(x), p<T>(y), stream);
          if (backward) {
            kernels::cuda::softmax_backward<T>(shape, false, p<T>(y), p<T>(dy), p<T>(dx), stream);
          }
        }) /
        1e3);
  }
  const double tensor = 2.0 * c.rows * c.cols;
  report_bandwidth(state, backward ? 5 * tensor : 2 * tensor);
}

// cuDNN's softmax over the last dim: the scores as an NCHW tensor [rows, cols, 1, 1],
// normalised over C for each row.
void BM_CudnnSoftmax(benchmark::State& state) {
  const SoftmaxCase& c = kSoftmaxCases[state.range(0)];
  const bool backward = state.range(1) != 0;
  state.SetLabel(std::string(c.name) + (backward ? " fwd+bwd" : " fwd"));
  NoGradGuard no_grad;
  const Tensor x = on_gpu({c.rows, c.cols}, DType::bf16), y = on_gpu({c.rows, c.cols}, DType::bf16);
  const Tensor dy = on_gpu({c.rows, c.cols}, DType::bf16),
               dx = on_gpu({c.rows, c.cols}, DType::bf16);
  const cudnnHandle_t handle = cuda::cudnn_handle(0);
  cudnnTensorDescriptor_t desc;
  FOVEA_CUDNN_CHECK(cudnnCreateTensorDescriptor(&desc));
  FOVEA_CUDNN_CHECK(cudnnSetTensor4dDescriptor(desc, CUDNN_TENSOR_NCHW, CUDNN_DATA_BFLOAT16,
                                               static_cast<int>(c.rows), static_cast<int>(c.cols),
                                               1, 1));
  const float one = 1.0f, zero = 0.0f;
  const auto run = [&] {
    cudnnStatus_t status =
        cudnnSoftmaxForward(handle, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &one, desc,
                            x.raw_data(), &zero, desc, y.raw_data());
    if (status == CUDNN_STATUS_SUCCESS && backward) {
      status =
          cudnnSoftmaxBackward(handle, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &one,
                               desc, y.raw_data(), desc, dy.raw_data(), &zero, desc, dx.raw_data());
    }
    return status;
  };
  // An unsupported configuration is reported rather than thrown, so the other cases run.
  if (const cudnnStatus_t status = run(); status != CUDNN_STATUS_SUCCESS) {
    state.SkipWithError(cudnnGetErrorString(status));
  } else {
    for (auto _ : state) state.SetIterationTime(time_ms([&] { run(); }) / 1e3);
    const double tensor = 2.0 * c.rows * c.cols;
    report_bandwidth(state, backward ? 5 * tensor : 2 * tensor);
  }
  FOVEA_CUDNN_CHECK(cudnnDestroyTensorDescriptor(desc));
}

void BM_SoftmaxCopyBaseline(benchmark::State& state) {
  const SoftmaxCase& c = kSoftmaxCases[state.range(0)];
  state.SetLabel(c.name);
  run_copy_baseline(state, 2 * static_cast<size_t>(c.rows * c.cols));  // bf16 scores
}

void BM_CrossEntropy(benchmark::State& state) {
  const LossCase& c = kLossCases[state.range(0)];
  state.SetLabel(std::string(c.name) + " fwd+bwd");
  NoGradGuard no_grad;
  const Tensor logits = on_gpu({c.rows, c.classes}, DType::f32);
  const Tensor grad = on_gpu({c.rows, c.classes}, DType::f32);
  std::vector<int64_t> labels(c.rows);
  for (int64_t r = 0; r < c.rows; ++r) labels[r] = (r * 37) % c.classes;
  const Tensor target = from_vector(labels, {c.rows}).to(Device::cuda(0));
  const Tensor loss = on_gpu({c.rows}, DType::f32), lse = on_gpu({c.rows}, DType::f32);
  const Tensor grad_loss = on_gpu({1}, DType::f32);
  const kernels::ClassTargets<float> targets{
      .rows = c.rows, .classes = c.classes, .target_index = p<const int64_t>(target)};
  const cudaStream_t stream = cuda::current_stream(0);
  for (auto _ : state) {
    state.SetIterationTime(time_ms([&] {
                             kernels::cuda::cross_entropy_forward<float>(
                                 targets, 0.1, p<float>(logits), p<float>(loss), p<float>(lse),
                                 stream);
                             kernels::cuda::cross_entropy_backward<float>(
                                 targets, 0.1, p<float>(logits), p<float>(lse), p<float>(grad_loss),
                                 0, 1.0 / c.rows, p<float>(grad), stream);
                           }) /
                           1e3);
  }
  // Logits read twice (forward, backward) and their gradient written once.
  report_bandwidth(state, 3.0 * 4 * c.rows * c.classes);
}

BENCHMARK(BM_Softmax)
    ->ArgsProduct({benchmark::CreateDenseRange(0, std::size(kSoftmaxCases) - 1, 1), {0, 1}})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudnnSoftmax)
    ->ArgsProduct({benchmark::CreateDenseRange(0, std::size(kSoftmaxCases) - 1, 1), {0, 1}})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SoftmaxCopyBaseline)
    ->DenseRange(0, std::size(kSoftmaxCases) - 1, 1)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CrossEntropy)
    ->DenseRange(0, std::size(kLossCases) - 1, 1)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace fovea::bench

BENCHMARK_MAIN();
