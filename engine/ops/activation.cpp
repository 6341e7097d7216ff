#include "engine/ops/activation.h"

#include "engine/ops/elementwise.h"

namespace fovea {

using kernels::UnaryOp;

Tensor relu(const Tensor& x) {
  return unary(UnaryOp::relu, x);
}
Tensor relu6(const Tensor& x) {
  return unary(UnaryOp::relu6, x);
}
Tensor gelu(const Tensor& x, const std::string& approximate) {
  if (approximate == "none") return unary(UnaryOp::gelu_erf, x);
  if (approximate == "tanh") return unary(UnaryOp::gelu_tanh, x);
  fail("gelu: approximate must be 'none' or 'tanh', got '{}'", approximate);
}
Tensor silu(const Tensor& x) {
  return unary(UnaryOp::silu, x);
}
Tensor sigmoid(const Tensor& x) {
  return unary(UnaryOp::sigmoid, x);
}
Tensor tanh(const Tensor& x) {
  return unary(UnaryOp::tanh, x);
}
Tensor hardswish(const Tensor& x) {
  return unary(UnaryOp::hardswish, x);
}
Tensor hardsigmoid(const Tensor& x) {
  return unary(UnaryOp::hardsigmoid, x);
}
Tensor softplus(const Tensor& x, double beta, double threshold) {
  return unary(UnaryOp::softplus, x, {beta, threshold});
}

}  // namespace fovea
