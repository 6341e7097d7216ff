#pragma once
// The host side of the CUDA elementwise ops (kernels/cuda/elementwise.h), called by the
// raw compute functions of engine/ops/elementwise.cpp when their tensors are on CUDA.
#ifdef FOVEA_HAS_CUDA
#include "engine/tensor.h"
#include "kernels/elementwise.h"

namespace fovea {

// out = a op b; out has the broadcast shape, a and b out's dtype.
void binary_cuda(kernels::BinaryOp op, Tensor& out, const Tensor& a, const Tensor& b,
                 const char* name);
Tensor unary_cuda(kernels::UnaryOp op, kernels::UnaryParams params, const Tensor& x);
// grad_y is converted to x's dtype first.
Tensor unary_backward_cuda(kernels::UnaryOp op, kernels::UnaryParams params, const Tensor& grad_y,
                           const Tensor& x);
// a and b share a dtype; the result is bool of the broadcast shape.
Tensor compare_cuda(kernels::CompareOp op, const Tensor& a, const Tensor& b, const char* name);
// out = cond ? a : b; out has the broadcast shape and a's (= b's) dtype.
void where_cuda(Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);

}  // namespace fovea
#endif
