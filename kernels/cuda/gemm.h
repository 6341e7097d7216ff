#pragma once
// Matrix products on CUDA through cuBLASLt: the row-major GEMM of kernels/gemm.h
// (C = alpha op(A) op(B) + beta C), batched with one stride per operand (stride 0
// broadcasts a matrix over the batch), and the linear-layer forms with a fused epilogue
// (bias, or bias then tanh-GELU). T: float, __half, __nv_bfloat16; always f32
// accumulation, and plain f32 arithmetic for f32 (no TF32), so that f32 matches the CPU.
#include <cublasLt.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "kernels/gemm.h"

namespace fovea::kernels::cuda {

// What a cuBLASLt call needs besides its operands: the handle, scratch memory for the
// algorithms that want it, and the stream to run on.
struct GemmContext {
  cublasLtHandle_t handle = nullptr;
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
  cudaStream_t stream = nullptr;
};

// The workspace the GEMMs ask for (NVIDIA's recommendation for Hopper).
inline constexpr size_t kGemmWorkspaceBytes = size_t{32} << 20;

// `batch` GEMMs with kernels::GemmShape's row-major meaning; matrix i of A starts at
// a + i * stride_a, and so on.
template <typename T>
void gemm_batched(const GemmShape& shape, int64_t batch, float alpha, const T* a,
                  int64_t stride_a, const T* b, int64_t stride_b, float beta, T* c,
                  int64_t stride_c, const GemmContext& context);

// y [rows, out] = x [rows, in] weight[out, in]^T + bias [out], the bias added in the GEMM's
// epilogue (CUBLASLT_EPILOGUE_BIAS).
template <typename T>
void linear_bias(int64_t rows, int64_t in_features, int64_t out_features, const T* x,
                 const T* weight, const T* bias, T* y, const GemmContext& context);

// y = gelu_tanh(x weight^T + bias) in one GEMM (CUBLASLT_EPILOGUE_GELU_BIAS). cuBLASLt's
// GELU is the tanh approximation, so this matches gelu(..., "tanh"), not the exact erf
// GELU that timm's Mlp uses.
template <typename T>
void linear_bias_gelu_tanh(int64_t rows, int64_t in_features, int64_t out_features, const T* x,
                           const T* weight, const T* bias, T* y, const GemmContext& context);

}  // namespace fovea::kernels::cuda
