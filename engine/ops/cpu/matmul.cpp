// The CPU half of the matrix products: dtype dispatch around kernels/cpu/gemm.cpp. The
// GEMM planning (layouts, broadcast batches) is engine/ops/matmul.cpp's, shared with CUDA.
#include "engine/ops/cpu/matmul.h"

#include "engine/autograd.h"
#include "engine/ops/dispatch.h"

namespace fovea::cpu {

void gemm_batched(const kernels::GemmShape& shape, int64_t batch, const Tensor& a, int64_t offset_a,
                  int64_t stride_a, const Tensor& b, int64_t offset_b, int64_t stride_b, float beta,
                  Tensor& out, int64_t offset_out, int64_t stride_out) {
  visit_floating(out.dtype(), "matmul", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::gemm_batched<T>(
        shape, batch, T(1), static_cast<const T*>(a.raw_data()) + offset_a, stride_a,
        static_cast<const T*>(b.raw_data()) + offset_b, stride_b, static_cast<T>(beta),
        static_cast<T*>(out.raw_data()) + offset_out, stride_out);
  });
}

Tensor linear(const Tensor& x_in, const Tensor& weight_in, const Tensor& bias_in) {
  NoGradGuard no_grad;
  const DType compute = cpu_compute_dtype(x_in.dtype());
  const Tensor x = x_in.to(compute).contiguous(), weight = weight_in.to(compute).contiguous();
  const int64_t rows = x.size(0), in_features = x.size(1), out_features = weight.size(0);
  Tensor y = make_tensor({rows, out_features}, compute, x.device());
  if (bias_in.defined()) {
    y.copy_(bias_in.to(compute));  // every row starts as the bias
  } else {
    y.zero_();
  }
  if (y.numel() > 0 && in_features > 0) {
    const kernels::GemmShape shape = kernels::linear_gemm_shape(rows, in_features, out_features);
    gemm_batched(shape, 1, x, 0, 0, weight, 0, 0, bias_in.defined() ? 1.0f : 0.0f, y, 0, 0);
  }
  return y.to(x_in.dtype());
}

}  // namespace fovea::cpu
