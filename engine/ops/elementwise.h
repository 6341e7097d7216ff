#pragma once
// Differentiable elementwise arithmetic, with NumPy/PyTorch broadcasting and type
// promotion, plus scalar forms and the non-differentiable comparisons.
#include <optional>

#include "engine/tensor.h"
#include "kernels/elementwise.h"

namespace fovea {

// ---- binary arithmetic ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& base, const Tensor& exponent);
Tensor maximum(const Tensor& a, const Tensor& b);
// relu(a + b) in one pass, bit for bit the same as relu(add(a, b)), its gradient too; it
// stores neither the sum nor a second activation for backward (ResNet's residual join).
Tensor add_relu(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

// Scalar forms keep the tensor's dtype (an integer tensor with a fractional scalar
// becomes f32), as PyTorch does with Python numbers.
Tensor add(const Tensor& a, double b);
Tensor sub(const Tensor& a, double b);
Tensor mul(const Tensor& a, double b);
Tensor div(const Tensor& a, double b);
Tensor pow(const Tensor& base, double exponent);

// ---- unary math ----
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor reciprocal(const Tensor& x);
Tensor square(const Tensor& x);
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);

// Any kernels::UnaryOp as a differentiable op; the activations are built on this.
Tensor unary(kernels::UnaryOp op, const Tensor& x, kernels::UnaryParams params = {});
// Below autograd: grad_y * d op(x) / dx, the backward of unary(op, x), on x's device (for
// ops that fuse an activation into their output, such as batch_norm).
Tensor unary_backward_raw(kernels::UnaryOp op, kernels::UnaryParams params, const Tensor& grad_y,
                          const Tensor& x);

// cond ? a : b, broadcasting all three; differentiable in a and b.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, double b);

// ---- comparisons (bool results, no gradient) ----
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, double b);
Tensor ne(const Tensor& a, double b);
Tensor lt(const Tensor& a, double b);
Tensor le(const Tensor& a, double b);
Tensor gt(const Tensor& a, double b);
Tensor ge(const Tensor& a, double b);
Tensor logical_not(const Tensor& x);
Tensor logical_and(const Tensor& a, const Tensor& b);

// ---- in-place (no autograd: for optimizers, running statistics, gradient buffers) ----
Tensor& add_(Tensor& self, const Tensor& other);
Tensor& sub_(Tensor& self, const Tensor& other);
Tensor& mul_(Tensor& self, const Tensor& other);
Tensor& add_(Tensor& self, double other);
Tensor& mul_(Tensor& self, double other);
// self += alpha * other, in one pass.
Tensor& add_scaled_(Tensor& self, const Tensor& other, double alpha);

// A 0-dim tensor holding `value`.
Tensor scalar_tensor(double value, DType dtype, Device device = Device::cpu());

// ---- operators ----
inline Tensor operator+(const Tensor& a, const Tensor& b) {
  return add(a, b);
}
inline Tensor operator-(const Tensor& a, const Tensor& b) {
  return sub(a, b);
}
inline Tensor operator*(const Tensor& a, const Tensor& b) {
  return mul(a, b);
}
inline Tensor operator/(const Tensor& a, const Tensor& b) {
  return div(a, b);
}
inline Tensor operator+(const Tensor& a, double b) {
  return add(a, b);
}
inline Tensor operator-(const Tensor& a, double b) {
  return sub(a, b);
}
inline Tensor operator*(const Tensor& a, double b) {
  return mul(a, b);
}
inline Tensor operator/(const Tensor& a, double b) {
  return div(a, b);
}
inline Tensor operator+(double a, const Tensor& b) {
  return add(b, a);
}
inline Tensor operator-(double a, const Tensor& b) {
  return add(neg(b), a);
}
inline Tensor operator*(double a, const Tensor& b) {
  return mul(b, a);
}
inline Tensor operator/(double a, const Tensor& b) {
  return mul(reciprocal(b), a);
}
inline Tensor operator-(const Tensor& x) {
  return neg(x);
}

}  // namespace fovea
