// Host side of the CUDA convolutions. Depthwise shapes that kernels/cuda/depthwise_conv.cu
// covers run there; everything else (any stride, padding, dilation and groups) runs through
// cuDNN 9's convolution API in NHWC: fovea's weight [Cout, kh, kw, Cin/groups] is exactly
// cuDNN's NHWC (KRSC) filter layout, so nothing is permuted.
//
// Algorithms: cudnnFind*AlgorithmEx times every algorithm once per problem (shape, dtype,
// direction, device, the alignment of the three buffers, and the determinism setting) on
// the real buffers, within kFindWorkspaceBytes of scratch, and the fastest one that ran
// is cached. With deterministic_algorithms() (engine/determinism.h, the default) the
// algorithms cuDNN reports as CUDNN_NON_DETERMINISTIC are skipped, so two identical runs
// give bit-identical results. The alignment is in the key as in PyTorch: an algorithm
// found on 256-byte aligned buffers may not run, or not run as fast, on less aligned ones. f32
// convolutions are restricted to CUDNN_FMA_MATH (no TF32) so that they match the CPU at 1e-5; bf16
// and f16 use the tensor cores with f32 accumulation (compute type CUDNN_DATA_FLOAT).
#include "engine/ops/cuda/conv.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "engine/autograd.h"
#include "engine/determinism.h"
#include "engine/ops/cuda/dispatch.h"
#include "kernels/cuda/conv.h"

namespace fovea::cuda {

namespace {

using kernels::Conv2dShape;

constexpr const char* kOp = "conv2d";
constexpr size_t kFindWorkspaceBytes = size_t{256} << 20;

cudnnDataType_t cudnn_type(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return CUDNN_DATA_FLOAT;
    case DType::f16:
      return CUDNN_DATA_HALF;
    case DType::bf16:
      return CUDNN_DATA_BFLOAT16;
    default:
      fail("conv2d: CUDA convolutions take f32, f16 or bf16, got {}", dtype_name(dtype));
  }
}

int as_int(int64_t value, const char* what) {
  FOVEA_CHECK(value <= INT32_MAX, "conv2d: {} = {} exceeds cuDNN's int range", what, value);
  return static_cast<int>(value);
}

// cuDNN's descriptors of one convolution, destroyed on every path out.
struct ConvDescriptors {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;

  ConvDescriptors(const Conv2dShape& s, DType dtype) {
    const cudnnDataType_t type = cudnn_type(dtype);
    FOVEA_CHECK(s.batch * s.in_h * s.in_w * s.in_channels <= INT32_MAX &&
                    s.batch * s.out_h * s.out_w * s.out_channels <= INT32_MAX,
                "conv2d: cuDNN's convolution takes at most 2^31 elements per tensor; split the "
                "batch (input {}x{}x{}x{})",
                s.batch, s.in_h, s.in_w, s.in_channels);
    FOVEA_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    FOVEA_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    FOVEA_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    FOVEA_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    FOVEA_CUDNN_CHECK(cudnnSetTensor4dDescriptor(
        x, CUDNN_TENSOR_NHWC, type, as_int(s.batch, "batch"), as_int(s.in_channels, "Cin"),
        as_int(s.in_h, "H"), as_int(s.in_w, "W")));
    FOVEA_CUDNN_CHECK(cudnnSetTensor4dDescriptor(
        y, CUDNN_TENSOR_NHWC, type, as_int(s.batch, "batch"), as_int(s.out_channels, "Cout"),
        as_int(s.out_h, "Ho"), as_int(s.out_w, "Wo")));
    FOVEA_CUDNN_CHECK(cudnnSetFilter4dDescriptor(
        w, type, CUDNN_TENSOR_NHWC, as_int(s.out_channels, "Cout"),
        as_int(s.group_in(), "Cin/groups"), as_int(s.kernel_h, "kh"), as_int(s.kernel_w, "kw")));
    FOVEA_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
        conv, as_int(s.pad_h, "pad"), as_int(s.pad_w, "pad"), as_int(s.stride_h, "stride"),
        as_int(s.stride_w, "stride"), as_int(s.dilation_h, "dilation"),
        as_int(s.dilation_w, "dilation"), CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    FOVEA_CUDNN_CHECK(cudnnSetConvolutionGroupCount(conv, as_int(s.groups, "groups")));
    FOVEA_CUDNN_CHECK(cudnnSetConvolutionMathType(
        conv, dtype == DType::f32 ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH));
  }
  ~ConvDescriptors() {
    cudnnDestroyConvolutionDescriptor(conv);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyTensorDescriptor(x);
  }
  ConvDescriptors(const ConvDescriptors&) = delete;
  ConvDescriptors& operator=(const ConvDescriptors&) = delete;
};

enum class Direction { forward, backward_data, backward_weight };

// The algorithm Find chose for one problem, with its workspace and math type.
struct Choice {
  int algorithm = 0;
  size_t workspace_bytes = 0;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};

using ProblemKey = std::array<int64_t, 23>;

// The largest power of two, up to 256, that divides the address (PyTorch's
// getAlignment): cuDNN's kernels pick vector widths from it.
int64_t alignment(const void* pointer) {
  const auto address = reinterpret_cast<uintptr_t>(pointer);
  int64_t align = 1;
  while (align < 256 && address % static_cast<uintptr_t>(align * 2) == 0) align *= 2;
  return align;
}

// The buffers of one convolution, whatever the direction: x (or grad_x), w (or grad_w)
// and y (or grad_y).
struct Buffers {
  const void* x;
  const void* w;
  const void* y;
};

ProblemKey problem_key(const Conv2dShape& s, DType dtype, Direction direction, int device,
                       const Buffers& buffers, bool deterministic) {
  return {static_cast<int64_t>(dtype),
          static_cast<int64_t>(direction),
          device,
          s.batch,
          s.in_h,
          s.in_w,
          s.in_channels,
          s.out_h,
          s.out_w,
          s.out_channels,
          s.kernel_h,
          s.kernel_w,
          s.stride_h,
          s.stride_w,
          s.pad_h,
          s.pad_w,
          s.dilation_h,
          s.dilation_w,
          s.groups,
          deterministic ? 1 : 0,
          alignment(buffers.x),
          alignment(buffers.w),
          alignment(buffers.y)};
}

// The first (fastest) result that ran, in the math mode the dtype allows, and
// deterministic when that is asked for.
template <typename Perf>
Choice first_usable(const std::vector<Perf>& results, int returned, DType dtype, bool deterministic,
                    const char* direction) {
  for (int i = 0; i < returned; ++i) {
    const Perf& r = results[i];
    if (r.status != CUDNN_STATUS_SUCCESS) continue;
    if (dtype == DType::f32 && r.mathType != CUDNN_FMA_MATH) continue;  // no TF32
    if (deterministic && r.determinism == CUDNN_NON_DETERMINISTIC) continue;
    return {static_cast<int>(r.algo), r.memory, r.mathType};
  }
  fail("conv2d: cuDNN found no usable {}{} algorithm", deterministic ? "deterministic " : "",
       direction);
}

// Runs `find(deterministic)` once per problem (under a lock: Find times kernels and must
// not race with another thread's Find) and returns the cached choice afterwards.
template <typename Find>
Choice choose(const Conv2dShape& s, DType dtype, Direction direction, int device,
              const Buffers& buffers, Find&& find) {
  static std::mutex mutex;
  static std::map<ProblemKey, Choice> chosen;
  std::lock_guard<std::mutex> lock(mutex);
  const bool deterministic = deterministic_algorithms();
  const ProblemKey key = problem_key(s, dtype, direction, device, buffers, deterministic);
  auto found = chosen.find(key);
  if (found == chosen.end()) found = chosen.emplace(key, find(deterministic)).first;
  return found->second;
}

struct Library {
  int device;
  cudnnHandle_t handle;
};

Library library_for(const Tensor& t) {
  const int device = t.device().index;
  return {device, cudnn_handle(device)};
}

const float kOne = 1.0f, kZero = 0.0f;

void cudnn_forward(const Conv2dShape& s, const Tensor& x, const Tensor& w, Tensor& y) {
  const Library lib = library_for(x);
  const ConvDescriptors d(s, x.dtype());
  const Buffers buffers{x.raw_data(), w.raw_data(), y.raw_data()};
  const Choice choice =
      choose(s, x.dtype(), Direction::forward, lib.device, buffers, [&](bool deterministic) {
        std::vector<cudnnConvolutionFwdAlgoPerf_t> results(CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
        int returned = 0;
        void* scratch = workspace(lib.device, kFindWorkspaceBytes);
        FOVEA_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(
            lib.handle, d.x, x.raw_data(), d.w, w.raw_data(), d.conv, d.y, y.raw_data(),
            static_cast<int>(results.size()), &returned, results.data(), scratch,
            kFindWorkspaceBytes));
        return first_usable(results, returned, x.dtype(), deterministic, "forward");
      });
  FOVEA_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, choice.math));
  void* scratch = workspace(lib.device, std::max<size_t>(choice.workspace_bytes, 256));
  FOVEA_CUDNN_CHECK(
      cudnnConvolutionForward(lib.handle, &kOne, d.x, x.raw_data(), d.w, w.raw_data(), d.conv,
                              static_cast<cudnnConvolutionFwdAlgo_t>(choice.algorithm), scratch,
                              choice.workspace_bytes, &kZero, d.y, y.raw_data()));
}

void cudnn_backward_data(const Conv2dShape& s, const Tensor& grad_y, const Tensor& w,
                         Tensor& grad_x) {
  const Library lib = library_for(grad_y);
  const ConvDescriptors d(s, grad_y.dtype());
  const Buffers buffers{grad_x.raw_data(), w.raw_data(), grad_y.raw_data()};
  const Choice choice = choose(
      s, grad_y.dtype(), Direction::backward_data, lib.device, buffers, [&](bool deterministic) {
        std::vector<cudnnConvolutionBwdDataAlgoPerf_t> results(
            CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT);
        int returned = 0;
        void* scratch = workspace(lib.device, kFindWorkspaceBytes);
        FOVEA_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(
            lib.handle, d.w, w.raw_data(), d.y, grad_y.raw_data(), d.conv, d.x, grad_x.raw_data(),
            static_cast<int>(results.size()), &returned, results.data(), scratch,
            kFindWorkspaceBytes));
        return first_usable(results, returned, grad_y.dtype(), deterministic, "backward-data");
      });
  FOVEA_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, choice.math));
  void* scratch = workspace(lib.device, std::max<size_t>(choice.workspace_bytes, 256));
  FOVEA_CUDNN_CHECK(cudnnConvolutionBackwardData(
      lib.handle, &kOne, d.w, w.raw_data(), d.y, grad_y.raw_data(), d.conv,
      static_cast<cudnnConvolutionBwdDataAlgo_t>(choice.algorithm), scratch, choice.workspace_bytes,
      &kZero, d.x, grad_x.raw_data()));
}

void cudnn_backward_weight(const Conv2dShape& s, const Tensor& grad_y, const Tensor& x,
                           Tensor& grad_w) {
  const Library lib = library_for(grad_y);
  const ConvDescriptors d(s, grad_y.dtype());
  const Buffers buffers{x.raw_data(), grad_w.raw_data(), grad_y.raw_data()};
  const Choice choice = choose(
      s, grad_y.dtype(), Direction::backward_weight, lib.device, buffers, [&](bool deterministic) {
        std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> results(
            CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT);
        int returned = 0;
        void* scratch = workspace(lib.device, kFindWorkspaceBytes);
        FOVEA_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
            lib.handle, d.x, x.raw_data(), d.y, grad_y.raw_data(), d.conv, d.w, grad_w.raw_data(),
            static_cast<int>(results.size()), &returned, results.data(), scratch,
            kFindWorkspaceBytes));
        return first_usable(results, returned, grad_y.dtype(), deterministic, "backward-weight");
      });
  FOVEA_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, choice.math));
  void* scratch = workspace(lib.device, std::max<size_t>(choice.workspace_bytes, 256));
  FOVEA_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
      lib.handle, &kOne, d.x, x.raw_data(), d.y, grad_y.raw_data(), d.conv,
      static_cast<cudnnConvolutionBwdFilterAlgo_t>(choice.algorithm), scratch,
      choice.workspace_bytes, &kZero, d.w, grad_w.raw_data()));
}

// `t` contiguous in `dtype`, cut from the graph.
Tensor operand(const Tensor& t, DType dtype) {
  if (!t.defined()) return t;
  NoGradGuard no_grad;
  return t.detach().to(dtype).contiguous();
}

template <typename T>
const T* data_of(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.raw_data()) : nullptr;
}
template <typename T>
T* mutable_data(Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

}  // namespace

Tensor conv2d_forward(const Conv2dShape& s, const Tensor& x_in, const Tensor& w_in,
                      const Tensor& bias_in) {
  DeviceGuard guard(x_in.device().index);
  const DType dtype = x_in.dtype();
  const Tensor x = operand(x_in, dtype), w = operand(w_in, dtype), bias = operand(bias_in, dtype);
  Tensor y = make_tensor({s.batch, s.out_h, s.out_w, s.out_channels}, dtype, x.device());
  const cudaStream_t stream = stream_for(x);
  if (kernels::cuda::depthwise_conv2d_supported(s)) {
    visit_cuda_floating(dtype, kOp, [&](auto tag) {
      using T = decltype(tag);
      kernels::cuda::depthwise_conv2d_forward<T>(s, data_of<T>(x), data_of<T>(w), data_of<T>(bias),
                                                 mutable_data<T>(y), stream);
    });
    return y;
  }
  cudnn_forward(s, x, w, y);
  if (bias.defined()) {
    visit_cuda_floating(dtype, kOp, [&](auto tag) {
      using T = decltype(tag);
      kernels::cuda::add_channel_bias<T>(s.batch * s.out_h * s.out_w, s.out_channels,
                                         data_of<T>(bias), mutable_data<T>(y), stream);
    });
  }
  return y;
}

Tensor conv2d_backward_data(const Conv2dShape& s, const Tensor& grad_y_in, const Tensor& w_in,
                            DType dtype) {
  DeviceGuard guard(w_in.device().index);
  const Tensor grad_y = operand(grad_y_in, dtype), w = operand(w_in, dtype);
  Tensor grad_x = make_tensor({s.batch, s.in_h, s.in_w, s.in_channels}, dtype, w.device());
  if (kernels::cuda::depthwise_conv2d_supported(s)) {
    visit_cuda_floating(dtype, kOp, [&](auto tag) {
      using T = decltype(tag);
      kernels::cuda::depthwise_conv2d_backward_data<T>(s, data_of<T>(grad_y), data_of<T>(w),
                                                       mutable_data<T>(grad_x), stream_for(w));
    });
    return grad_x;
  }
  cudnn_backward_data(s, grad_y, w, grad_x);
  return grad_x;
}

Tensor conv2d_backward_weight(const Conv2dShape& s, const Tensor& grad_y_in, const Tensor& x_in,
                              DType dtype) {
  DeviceGuard guard(x_in.device().index);
  const Tensor grad_y = operand(grad_y_in, dtype), x = operand(x_in, dtype);
  Tensor grad_w =
      make_tensor({s.out_channels, s.kernel_h, s.kernel_w, s.group_in()}, dtype, x.device());
  if (kernels::cuda::depthwise_conv2d_supported(s)) {
    const size_t bytes = kernels::cuda::depthwise_conv2d_backward_weight_workspace(s);
    float* partials = static_cast<float*>(workspace(x.device().index, bytes));
    visit_cuda_floating(dtype, kOp, [&](auto tag) {
      using T = decltype(tag);
      kernels::cuda::depthwise_conv2d_backward_weight<T>(
          s, data_of<T>(grad_y), data_of<T>(x), partials, mutable_data<T>(grad_w), stream_for(x));
    });
    return grad_w;
  }
  cudnn_backward_weight(s, grad_y, x, grad_w);
  return grad_w;
}

}  // namespace fovea::cuda
