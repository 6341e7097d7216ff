#pragma once
// The CUDA half of engine/ops/matmul.cpp, with the same names and signatures as
// engine/ops/cpu/matmul.h: cuBLASLt GEMMs on device tensors (no autograd). Plain C++; a
// CPU-only build links engine/without_cuda.cpp's versions, which throw.
#include "engine/tensor.h"
#include "kernels/gemm.h"

namespace fovea::cuda {

// `batch` GEMMs of `shape` (kernels/gemm.h's row-major meaning) on a, b and out, each
// operand's matrix i starting at element offset + i * stride of its tensor's first element.
// out = a x b when beta is 0, out += a x b when it is 1. All three share one dtype.
void gemm_batched(const kernels::GemmShape& shape, int64_t batch, const Tensor& a, int64_t offset_a,
                  int64_t stride_a, const Tensor& b, int64_t offset_b, int64_t stride_b, float beta,
                  Tensor& out, int64_t offset_out, int64_t stride_out);

// x [rows, in] x weight [out, in]^T + bias [out] (bias may be undefined) as a new
// [rows, out] tensor; the bias is added in the GEMM's epilogue. x and weight contiguous.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

// gelu(x weight^T + bias, "tanh") in one GEMM with cuBLASLt's GELU_BIAS epilogue. Not
// used by layers: cuBLASLt's GELU is the tanh approximation, and timm's Mlp uses the exact
// erf GELU, which differs by up to about 4e-4.
Tensor linear_bias_gelu_tanh(const Tensor& x, const Tensor& weight, const Tensor& bias);

}  // namespace fovea::cuda
