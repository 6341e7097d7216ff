#pragma once
// Elementwise kernels: binary arithmetic with broadcasting, comparisons, where, and the
// unary math and activation functions with their derivatives. Operands are described by
// a Loop (kernels/loop.h), so broadcast and strided inputs need no copies.
#include <cstdint>

#include "kernels/loop.h"

namespace fovea::kernels {

// add_relu is relu(a + b) in one pass: the join of a ResNet block's branch and shortcut.
enum class BinaryOp { add, sub, mul, div, pow, maximum, minimum, add_relu };
enum class CompareOp { eq, ne, lt, le, gt, ge };

enum class UnaryOp {
  neg,
  exp,
  log,
  sqrt,
  rsqrt,
  abs,
  sign,
  reciprocal,  // math
  relu,
  relu6,
  gelu_erf,
  gelu_tanh,
  silu,
  sigmoid,
  tanh,
  hardswish,
  hardsigmoid,  // activations
  softplus,     // params: a = beta, b = threshold
  clamp,        // params: a = min, b = max (use +-infinity for an open side)
  pow_scalar,   // params: a = exponent
};

struct UnaryParams {
  double a = 0.0;
  double b = 0.0;
};

const char* unary_op_name(UnaryOp op);

namespace cpu {

// out = a op b. T: float, double, int32_t, int64_t (div and pow: floating only).
template <typename T>
void binary(BinaryOp op, const Loop<3>& loop, T* out, const T* a, const T* b);

// out = a cmp b. T: float, double, int32_t, int64_t, uint8_t, bool.
template <typename T>
void compare(CompareOp op, const Loop<3>& loop, bool* out, const T* a, const T* b);

// out = f(x). T: float, double.
template <typename T>
void unary(UnaryOp op, UnaryParams params, const Loop<2>& loop, T* out, const T* x);

// grad_x = grad_y * f'(x). T: float, double.
template <typename T>
void unary_backward(UnaryOp op, UnaryParams params, const Loop<3>& loop, T* grad_x, const T* grad_y,
                    const T* x);

// out = cond ? a : b. T: any storage type but the 16-bit floats.
template <typename T>
void where(const Loop<4>& loop, T* out, const bool* cond, const T* a, const T* b);

}  // namespace cpu
}  // namespace fovea::kernels
