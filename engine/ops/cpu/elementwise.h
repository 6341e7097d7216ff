#pragma once
// The CPU half of the elementwise ops (engine/ops/elementwise.cpp): widens 16-bit floats
// to f32, builds the loop from the tensors and calls kernels/cpu/elementwise.cpp. Results
// are in the operands' dtype. Nothing here records a graph.
#include "engine/tensor.h"
#include "kernels/elementwise.h"

namespace fovea::cpu {

// out = a op b; out has the broadcast shape, a and b out's dtype.
void binary(kernels::BinaryOp op, Tensor& out, const Tensor& a, const Tensor& b, const char* name);
Tensor unary(kernels::UnaryOp op, kernels::UnaryParams params, const Tensor& x);
// grad_y * d op(x) / dx in x's dtype; grad_y is converted to x's dtype first.
Tensor unary_backward(kernels::UnaryOp op, kernels::UnaryParams params, const Tensor& grad_y,
                      const Tensor& x);
// a and b share a dtype; the result is bool of the broadcast shape.
Tensor compare(kernels::CompareOp op, const Tensor& a, const Tensor& b, const char* name);
// out = cond ? a : b; out has the broadcast shape and a's (= b's) dtype.
void where(Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);

}  // namespace fovea::cpu
