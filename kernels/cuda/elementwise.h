#pragma once
// CUDA launchers for the elementwise kernels (the ops and their math are
// kernels/elementwise.h's): binary arithmetic with broadcasting, comparisons, where, and
// the unary math and activations with their derivatives. Operands are described by a
// Loop (kernels/loop.h) passed to the kernel by value, so broadcast and strided operands
// need no copies. The 16-bit floats load and store natively and compute in f32.
// Each launcher enqueues on `stream` and checks the launch.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "kernels/elementwise.h"

namespace fovea::kernels::cuda {

// out = a op b. T: float, double, __half, __nv_bfloat16, int32_t, int64_t (div and pow:
// floating only).
template <typename T>
void binary(BinaryOp op, const Loop<3>& loop, T* out, const T* a, const T* b, cudaStream_t stream);

// out = a cmp b. T: any storage type (float, double, __half, __nv_bfloat16, int32_t,
// int64_t, uint8_t, bool).
template <typename T>
void compare(CompareOp op, const Loop<3>& loop, bool* out, const T* a, const T* b,
             cudaStream_t stream);

// out = f(x). T: float, __half, __nv_bfloat16.
template <typename T>
void unary(UnaryOp op, UnaryParams params, const Loop<2>& loop, T* out, const T* x,
           cudaStream_t stream);

// grad_x = grad_y * f'(x). T: float, __half, __nv_bfloat16.
template <typename T>
void unary_backward(UnaryOp op, UnaryParams params, const Loop<3>& loop, T* grad_x, const T* grad_y,
                    const T* x, cudaStream_t stream);

// out = cond ? a : b. T: any storage type.
template <typename T>
void where(const Loop<4>& loop, T* out, const bool* cond, const T* a, const T* b,
           cudaStream_t stream);

}  // namespace fovea::kernels::cuda
