// Depthwise conv2d on CUDA, bf16, B=64: fovea's kernels (kernels/cuda/depthwise_conv.cu)
// next to cuDNN's grouped convolution (groups = C, NHWC, fastest algorithm by
// cudnnFind*Ex) at ConvNeXt-T's 7x7 stages and EfficientNet-B0's depthwise layers.
// Each case times the forward and the forward+backward (data and weight) and reports the
// bandwidth of the bytes each pass must move (x, y, grad_y, grad_x read/written once)
// against the copy ceiling measured in the same process. PyTorch's channels_last depthwise
// conv at the same shapes: bench/pytorch/depthwise_cuda.py.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench/cuda/roofline.h"
#include "engine/autograd.h"
#include "engine/ops/factory.h"
#include "kernels/cuda/conv.h"

namespace fovea::bench {
namespace {

struct DepthwiseCase {
  const char* name;
  int64_t size, channels, kernel, stride;
};

constexpr DepthwiseCase kCases[] = {
    {"convnext_t_s1", 56, 96, 7, 1},   {"convnext_t_s2", 28, 192, 7, 1},
    {"convnext_t_s3", 14, 384, 7, 1},  {"convnext_t_s4", 7, 768, 7, 1},
    {"effnet_b0_112x32_k3", 112, 32, 3, 1}, {"effnet_b0_112x96_k3_s2", 112, 96, 3, 2},
    {"effnet_b0_56x144_k5_s2", 56, 144, 5, 2}, {"effnet_b0_28x240_k5", 28, 240, 5, 1},
    {"effnet_b0_14x480_k3", 14, 480, 3, 1}, {"effnet_b0_14x672_k5", 14, 672, 5, 1},
    {"effnet_b0_7x1152_k5", 7, 1152, 5, 1},
};

kernels::Conv2dShape shape_of(const DepthwiseCase& c) {
  kernels::Conv2dShape s;
  s.batch = 64;
  s.in_h = s.in_w = c.size;
  s.in_channels = s.out_channels = s.groups = c.channels;
  s.kernel_h = s.kernel_w = c.kernel;
  s.stride_h = s.stride_w = c.stride;
  s.pad_h = s.pad_w = c.kernel / 2;
  s.out_h = s.out_w = kernels::conv_output_size(c.size, c.kernel, c.stride, c.kernel / 2, 1);
  return s;
}

Tensor on_gpu(const Shape& shape) {
  return randn(shape, {.dtype = DType::f32}).to(DType::bf16).to(Device::cuda(0));
}

struct Buffers {
  kernels::Conv2dShape s;
  Tensor x, w, bias, y, gy, gx, gw, partials;
  explicit Buffers(const kernels::Conv2dShape& shape) : s(shape) {
    x = on_gpu({s.batch, s.in_h, s.in_w, s.in_channels});
    w = on_gpu({s.out_channels, s.kernel_h, s.kernel_w, 1});
    bias = on_gpu({s.out_channels});
    y = on_gpu({s.batch, s.out_h, s.out_w, s.out_channels});
    gy = on_gpu({s.batch, s.out_h, s.out_w, s.out_channels});
    gx = on_gpu({s.batch, s.in_h, s.in_w, s.in_channels});
    gw = on_gpu({s.out_channels, s.kernel_h, s.kernel_w, 1});
    const auto floats =
        static_cast<int64_t>(kernels::cuda::depthwise_conv2d_backward_weight_workspace(s) / 4);
    partials = randn({floats}, {.dtype = DType::f32}).to(Device::cuda(0));
  }
  template <typename T = __nv_bfloat16>
  static T* p(const Tensor& t) {
    return static_cast<T*>(t.raw_data());
  }
};

// Bytes a pass must move: the forward reads x, writes y; backward-data reads grad_y and
// writes grad_x; backward-weight reads grad_y and x (weights are negligible).
double pass_bytes(const kernels::Conv2dShape& s, bool backward) {
  const double in = 2.0 * s.batch * s.in_h * s.in_w * s.in_channels;
  const double out = 2.0 * s.batch * s.out_h * s.out_w * s.out_channels;
  return backward ? (in + out) * 3 : in + out;
}

void BM_FoveaDepthwise(benchmark::State& state) {
  const DepthwiseCase& c = kCases[state.range(0)];
  const bool backward = state.range(1) != 0;
  state.SetLabel(std::string(c.name) + (backward ? " fwd+bwd" : " fwd"));
  NoGradGuard no_grad;
  Buffers b(shape_of(c));
  const cudaStream_t stream = cuda::current_stream(0);
  for (auto _ : state) {
    state.SetIterationTime(
        time_ms([&] {
          kernels::cuda::depthwise_conv2d_forward(b.s, b.p(b.x), b.p(b.w), b.p(b.bias), b.p(b.y),
                                                  stream);
          if (backward) {
            kernels::cuda::depthwise_conv2d_backward_data(b.s, b.p(b.gy), b.p(b.w), b.p(b.gx),
                                                          stream);
            kernels::cuda::depthwise_conv2d_backward_weight(b.s, b.p(b.gy), b.p(b.x),
                                                            b.p<float>(b.partials), b.p(b.gw),
                                                            stream);
          }
        }) /
        1e3);
  }
  report_bandwidth(state, pass_bytes(b.s, backward));
}

// cuDNN's grouped convolution, descriptors and algorithms set up once per case.
struct Cudnn {
  cudnnHandle_t handle;
  cudnnTensorDescriptor_t x, y, bias;
  cudnnFilterDescriptor_t w;
  cudnnConvolutionDescriptor_t conv;
  cudnnConvolutionFwdAlgo_t fwd;
  cudnnConvolutionBwdDataAlgo_t bwd_data;
  cudnnConvolutionBwdFilterAlgo_t bwd_filter;
  size_t workspace_bytes = 0;
  Tensor workspace;

  explicit Cudnn(Buffers& b) : handle(cuda::cudnn_handle(0)) {
    const auto& s = b.s;
    const int n = static_cast<int>(s.batch), c = static_cast<int>(s.in_channels);
    FOVEA_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    FOVEA_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    FOVEA_CUDNN_CHECK(cudnnCreateTensorDescriptor(&bias));
    FOVEA_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    FOVEA_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    FOVEA_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NHWC, CUDNN_DATA_BFLOAT16, n, c,
                                                 static_cast<int>(s.in_h),
                                                 static_cast<int>(s.in_w)));
    FOVEA_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NHWC, CUDNN_DATA_BFLOAT16, n, c,
                                                 static_cast<int>(s.out_h),
                                                 static_cast<int>(s.out_w)));
    FOVEA_CUDNN_CHECK(
        cudnnSetTensor4dDescriptor(bias, CUDNN_TENSOR_NHWC, CUDNN_DATA_BFLOAT16, 1, c, 1, 1));
    const int k = static_cast<int>(s.kernel_h);
    FOVEA_CUDNN_CHECK(
        cudnnSetFilter4dDescriptor(w, CUDNN_DATA_BFLOAT16, CUDNN_TENSOR_NHWC, c, 1, k, k));
    const int pad = static_cast<int>(s.pad_h), stride = static_cast<int>(s.stride_h);
    FOVEA_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, pad, pad, stride, stride, 1, 1,
                                                      CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    FOVEA_CUDNN_CHECK(cudnnSetConvolutionGroupCount(conv, c));
    FOVEA_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, CUDNN_TENSOR_OP_MATH));
    const size_t find_bytes = size_t{256} << 20;
    Tensor scratch = make_tensor({static_cast<int64_t>(find_bytes)}, DType::u8, Device::cuda(0));
    int returned = 0;
    cudnnConvolutionFwdAlgoPerf_t f;
    FOVEA_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(
        handle, x, b.x.raw_data(), w, b.w.raw_data(), conv, y, b.y.raw_data(), 1, &returned, &f,
        scratch.raw_data(), find_bytes));
    cudnnConvolutionBwdDataAlgoPerf_t d;
    FOVEA_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(
        handle, w, b.w.raw_data(), y, b.gy.raw_data(), conv, x, b.gx.raw_data(), 1, &returned, &d,
        scratch.raw_data(), find_bytes));
    cudnnConvolutionBwdFilterAlgoPerf_t g;
    FOVEA_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
        handle, x, b.x.raw_data(), y, b.gy.raw_data(), conv, w, b.gw.raw_data(), 1, &returned, &g,
        scratch.raw_data(), find_bytes));
    fwd = f.algo;
    bwd_data = d.algo;
    bwd_filter = g.algo;
    workspace_bytes = std::max({f.memory, d.memory, g.memory, size_t{256}});
    workspace = make_tensor({static_cast<int64_t>(workspace_bytes)}, DType::u8, Device::cuda(0));
  }
  ~Cudnn() {
    cudnnDestroyConvolutionDescriptor(conv);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyTensorDescriptor(bias);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyTensorDescriptor(x);
  }
};

void BM_CudnnDepthwise(benchmark::State& state) {
  const DepthwiseCase& c = kCases[state.range(0)];
  const bool backward = state.range(1) != 0;
  state.SetLabel(std::string(c.name) + (backward ? " fwd+bwd" : " fwd"));
  NoGradGuard no_grad;
  Buffers b(shape_of(c));
  Cudnn d(b);
  const float one = 1.0f, zero = 0.0f;
  void* ws = d.workspace.raw_data();
  for (auto _ : state) {
    state.SetIterationTime(
        time_ms([&] {
          FOVEA_CUDNN_CHECK(cudnnConvolutionForward(d.handle, &one, d.x, b.x.raw_data(), d.w,
                                                    b.w.raw_data(), d.conv, d.fwd, ws,
                                                    d.workspace_bytes, &zero, d.y,
                                                    b.y.raw_data()));
          FOVEA_CUDNN_CHECK(cudnnAddTensor(d.handle, &one, d.bias, b.bias.raw_data(), &one, d.y,
                                           b.y.raw_data()));
          if (backward) {
            FOVEA_CUDNN_CHECK(cudnnConvolutionBackwardData(
                d.handle, &one, d.w, b.w.raw_data(), d.y, b.gy.raw_data(), d.conv, d.bwd_data, ws,
                d.workspace_bytes, &zero, d.x, b.gx.raw_data()));
            FOVEA_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
                d.handle, &one, d.x, b.x.raw_data(), d.y, b.gy.raw_data(), d.conv, d.bwd_filter,
                ws, d.workspace_bytes, &zero, d.w, b.gw.raw_data()));
          }
        }) /
        1e3);
  }
  report_bandwidth(state, pass_bytes(b.s, backward));
}

void all_cases(benchmark::internal::Benchmark* b) {
  for (int64_t i = 0; i < static_cast<int64_t>(std::size(kCases)); ++i) {
    for (int64_t backward = 0; backward < 2; ++backward) b->Args({i, backward});
  }
  b->UseManualTime()->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_FoveaDepthwise)->Apply(all_cases);
BENCHMARK(BM_CudnnDepthwise)->Apply(all_cases);

}  // namespace
}  // namespace fovea::bench

BENCHMARK_MAIN();
