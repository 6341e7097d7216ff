#pragma once
// The CPU half of engine/ops/matmul.cpp, with the same names and signatures as
// engine/ops/cuda/matmul.h: kernels::cpu GEMMs on host tensors (no autograd).
#include "engine/tensor.h"
#include "kernels/gemm.h"

namespace fovea::cpu {

// `batch` GEMMs of `shape` (kernels/gemm.h's row-major meaning) on a, b and out, each
// operand's matrix i starting at element offset + i * stride of its tensor's first element.
// out = a x b when beta is 0, out += a x b when it is 1. All three share one dtype (f32
// or f64).
void gemm_batched(const kernels::GemmShape& shape, int64_t batch, const Tensor& a, int64_t offset_a,
                  int64_t stride_a, const Tensor& b, int64_t offset_b, int64_t stride_b, float beta,
                  Tensor& out, int64_t offset_out, int64_t stride_out);

// x [rows, in] x weight [out, in]^T + bias [out] (bias may be undefined) as a new
// [rows, out] tensor of x's dtype; 16-bit floats multiply in f32 and are rounded once.
// x and weight contiguous.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

}  // namespace fovea::cpu
