// Host side of the CUDA matrix products: device guard, dtype dispatch, the cuBLASLt
// context (handle, workspace, stream) and output allocation. The GEMM planning (layouts, broadcast
// batches) is engine/ops/matmul.cpp's, shared with the CPU.
#include "engine/ops/cuda/matmul.h"

#include "engine/ops/cuda/dispatch.h"
#include "engine/ops/elementwise.h"
#include "kernels/cuda/gemm.h"

namespace fovea::cuda {

namespace {

// The caller holds a DeviceGuard for t's device.
kernels::cuda::GemmContext gemm_context(const Tensor& t) {
  const int device = t.device().index;
  return {.handle = cublaslt_handle(device),
          .workspace = workspace(device, kernels::cuda::kGemmWorkspaceBytes),
          .workspace_bytes = kernels::cuda::kGemmWorkspaceBytes,
          .stream = stream_for(t)};
}

template <typename T>
const T* device_data(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.raw_data()) : nullptr;
}

void check_linear_operands(const char* op, const Tensor& x, const Tensor& weight,
                           const Tensor& bias) {
  FOVEA_CHECK(x.dim() == 2 && weight.dim() == 2 && x.size(1) == weight.size(1) &&
                  x.is_contiguous() && weight.is_contiguous(),
              "{}: expected contiguous x [rows, in] and weight [out, in], got {} and {}", op,
              shape_str(x.shape()), shape_str(weight.shape()));
  FOVEA_CHECK(x.dtype() == weight.dtype() && (!bias.defined() || bias.dtype() == x.dtype()),
              "{}: x, weight and bias must share one dtype", op);
  FOVEA_CHECK(!bias.defined() || (bias.shape() == Shape{weight.size(0)} && bias.is_contiguous()),
              "{}: bias must be contiguous [{}], got {}", op, weight.size(0),
              shape_str(bias.shape()));
}

}  // namespace

void gemm_batched(const kernels::GemmShape& shape, int64_t batch, const Tensor& a, int64_t offset_a,
                  int64_t stride_a, const Tensor& b, int64_t offset_b, int64_t stride_b, float beta,
                  Tensor& out, int64_t offset_out, int64_t stride_out) {
  DeviceGuard guard(out.device().index);
  const kernels::cuda::GemmContext context = gemm_context(out);
  visit_cuda_floating(out.dtype(), "matmul", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::gemm_batched<T>(
        shape, batch, 1.0f, device_data<T>(a) + offset_a, stride_a, device_data<T>(b) + offset_b,
        stride_b, beta, static_cast<T*>(out.raw_data()) + offset_out, stride_out, context);
  });
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  DeviceGuard guard(x.device().index);
  check_linear_operands("linear", x, weight, bias);
  const int64_t rows = x.size(0), in_features = x.size(1), out_features = weight.size(0);
  Tensor y = make_tensor({rows, out_features}, x.dtype(), x.device());
  if (in_features == 0) {
    // No products: cuBLASLt rejects k = 0, and y is the bias (or zero) broadcast.
    y.zero_();
    if (bias.defined()) add_(y, bias);
    return y;
  }
  const kernels::cuda::GemmContext context = gemm_context(x);
  visit_cuda_floating(x.dtype(), "linear", [&](auto tag) {
    using T = decltype(tag);
    T* y_data = static_cast<T*>(y.raw_data());
    if (bias.defined()) {
      kernels::cuda::linear_bias<T>(rows, in_features, out_features, device_data<T>(x),
                                    device_data<T>(weight), device_data<T>(bias), y_data, context);
    } else {
      const kernels::GemmShape shape = kernels::linear_gemm_shape(rows, in_features, out_features);
      kernels::cuda::gemm_batched<T>(shape, 1, 1.0f, device_data<T>(x), 0, device_data<T>(weight),
                                     0, 0.0f, y_data, 0, context);
    }
  });
  return y;
}

Tensor linear_bias_gelu_tanh(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const char* op = "linear_bias_gelu_tanh";
  FOVEA_CHECK(bias.defined(), "{}: needs a bias", op);
  check_linear_operands(op, x, weight, bias);
  FOVEA_CHECK(x.device().is_cuda() && weight.device() == x.device() && bias.device() == x.device(),
              "{}: x, weight and bias must be on one CUDA device", op);
  DeviceGuard guard(x.device().index);
  FOVEA_CHECK(x.size(1) > 0, "{}: needs at least one input feature", op);
  const int64_t rows = x.size(0), in_features = x.size(1), out_features = weight.size(0);
  Tensor y = make_tensor({rows, out_features}, x.dtype(), x.device());
  const kernels::cuda::GemmContext context = gemm_context(x);
  visit_cuda_floating(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::linear_bias_gelu_tanh<T>(rows, in_features, out_features, device_data<T>(x),
                                            device_data<T>(weight), device_data<T>(bias),
                                            static_cast<T*>(y.raw_data()), context);
  });
  return y;
}

}  // namespace fovea::cuda
