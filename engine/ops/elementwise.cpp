// Elementwise ops: promotion, broadcasting and the backward record here, then one device
// switch into engine/ops/cpu/elementwise.cpp or engine/ops/cuda/elementwise.cpp. The
// backward is written with the same ops; broadcasting is undone in backward by sum_to().
#include "engine/ops/elementwise.h"

#include <limits>

#include "engine/autocast.h"
#include "engine/autograd.h"
#include "engine/ops/cpu/elementwise.h"
#include "engine/ops/cuda/elementwise.h"
#include "engine/ops/dispatch.h"
#include "engine/ops/factory.h"
#include "engine/ops/reduction.h"
#include "engine/profile.h"

namespace fovea {

using kernels::BinaryOp;
using kernels::CompareOp;
using kernels::UnaryOp;
using kernels::UnaryParams;

namespace {

// ---------------------------------------------------------------- raw compute (no graph)

// out = a op b, where out already has the broadcast shape and a, b have out's dtype.
void binary_into(BinaryOp op, Tensor& out, const Tensor& a, const Tensor& b, const char* name) {
  switch (common_device(name, {&out, &a, &b}).type) {
    case DeviceType::CPU:
      return cpu::binary(op, out, a, b, name);
    case DeviceType::CUDA:
      return cuda::binary(op, out, a, b, name);
  }
}

Tensor binary_raw(BinaryOp op, const Tensor& a, const Tensor& b, const char* name) {
  Tensor out = make_tensor(broadcast_shapes(a.shape(), b.shape(), name), a.dtype(), a.device());
  binary_into(op, out, a, b, name);
  return out;
}

Tensor unary_raw(UnaryOp op, UnaryParams params, const Tensor& x) {
  switch (x.device().type) {
    case DeviceType::CPU:
      return cpu::unary(op, params, x);
    case DeviceType::CUDA:
      return cuda::unary(op, params, x);
  }
  fail("{}: unknown device {}", kernels::unary_op_name(op), x.device().str());
}

}  // namespace

Tensor unary_backward_raw(UnaryOp op, UnaryParams params, const Tensor& grad_y, const Tensor& x) {
  switch (common_device(kernels::unary_op_name(op), {&grad_y, &x}).type) {
    case DeviceType::CPU:
      return cpu::unary_backward(op, params, grad_y, x);
    case DeviceType::CUDA:
      return cuda::unary_backward(op, params, grad_y, x);
  }
  fail("{}: unknown device {}", kernels::unary_op_name(op), x.device().str());
}

namespace {

Tensor compare_raw(CompareOp op, const Tensor& a_in, const Tensor& b_in, const char* name) {
  const profile::OpScope scope(name, a_in, b_in);
  const Device device = common_device(name, {&a_in, &b_in});
  NoGradGuard no_grad;
  const DType common = promote_types(a_in.dtype(), b_in.dtype());
  const Tensor a = a_in.to(common), b = b_in.to(common);
  switch (device.type) {
    case DeviceType::CPU:
      return cpu::compare(op, a, b, name);
    case DeviceType::CUDA:
      return cuda::compare(op, a, b, name);
  }
  fail("{}: unknown device {}", name, device.str());
}

// The dtype a scalar operand takes next to `tensor`, following PyTorch's rules for
// Python numbers: it never widens a floating tensor.
DType scalar_dtype(const Tensor& tensor, double value) {
  if (is_floating(tensor.dtype())) return tensor.dtype();
  if (value != static_cast<double>(static_cast<int64_t>(value))) return DType::f32;
  return tensor.dtype() == DType::boolean ? DType::i64 : tensor.dtype();
}

Tensor as_scalar_like(const Tensor& tensor, double value) {
  return scalar_tensor(value, scalar_dtype(tensor, value), tensor.device());
}

// Gradient of maximum/minimum for the operand that won: ties split the gradient evenly,
// as PyTorch does.
Tensor winner_share(const Tensor& self, const Tensor& other, bool self_wins_when_greater) {
  const Tensor wins = self_wins_when_greater ? gt(self, other) : lt(self, other);
  const Tensor ties = eq(self, other);
  return add(wins.to(self.dtype()), mul(ties.to(self.dtype()), 0.5));
}

// ---------------------------------------------------------------- differentiable binary

Tensor binary_op(BinaryOp op, const Tensor& a_in, const Tensor& b_in, const char* name) {
  const profile::OpScope scope(name, a_in, b_in);
  common_device(name, {&a_in, &b_in});
  DType dtype = promote_types(a_in.dtype(), b_in.dtype());
  if ((op == BinaryOp::div || op == BinaryOp::pow) && is_integral(dtype)) dtype = DType::f32;
  Tensor a = a_in.to(dtype), b = b_in.to(dtype);
  if (op == BinaryOp::pow) {
    a = autocast(a, AutocastPolicy::fp32);
    b = autocast(b, AutocastPolicy::fp32);
  }
  Tensor out = binary_raw(op, a, b, name);
  if (!should_record({a, b})) return out;

  const Shape sa = a.shape(), sb = b.shape();
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  // Save only what the wanted gradients read.
  const Tensor saved_a =
      need_b || op == BinaryOp::div || op == BinaryOp::pow ? a.detach() : Tensor();
  const Tensor saved_b = need_a || op == BinaryOp::div ? b.detach() : Tensor();
  const Tensor saved_out = op == BinaryOp::pow ? out.detach() : Tensor();
  switch (op) {
    case BinaryOp::add:
      record_op(name, {a, b}, {out}, [sa, sb](const BackwardContext& ctx) -> TensorList {
        const Tensor& g = ctx.grad();
        return {ctx.needs_grad(0) ? sum_to(g, sa) : Tensor(),
                ctx.needs_grad(1) ? sum_to(g, sb) : Tensor()};
      });
      break;
    case BinaryOp::sub:
      record_op(name, {a, b}, {out}, [sa, sb](const BackwardContext& ctx) -> TensorList {
        const Tensor& g = ctx.grad();
        return {ctx.needs_grad(0) ? sum_to(g, sa) : Tensor(),
                ctx.needs_grad(1) ? sum_to(neg(g), sb) : Tensor()};
      });
      break;
    case BinaryOp::mul:
      record_op(name, {a, b}, {out},
                [sa, sb, saved_a, saved_b](const BackwardContext& ctx) -> TensorList {
                  const Tensor& g = ctx.grad();
                  return {ctx.needs_grad(0) ? sum_to(mul(g, saved_b), sa) : Tensor(),
                          ctx.needs_grad(1) ? sum_to(mul(g, saved_a), sb) : Tensor()};
                });
      break;
    case BinaryOp::div:
      record_op(name, {a, b}, {out},
                [sa, sb, saved_a, saved_b](const BackwardContext& ctx) -> TensorList {
                  const Tensor grad_a = div(ctx.grad(), saved_b);
                  return {ctx.needs_grad(0) ? sum_to(grad_a, sa) : Tensor(),
                          ctx.needs_grad(1) ? sum_to(neg(div(mul(grad_a, saved_a), saved_b)), sb)
                                            : Tensor()};
                });
      break;
    case BinaryOp::pow:
      record_op(name, {a, b}, {out},
                [sa, sb, saved_a, exponent = b.detach(),
                 saved_out](const BackwardContext& ctx) -> TensorList {
                  const Tensor& g = ctx.grad();
                  Tensor grad_a, grad_b;
                  if (ctx.needs_grad(0)) {
                    grad_a = sum_to(mul(g, mul(exponent, pow(saved_a, sub(exponent, 1.0)))), sa);
                  }
                  if (ctx.needs_grad(1)) {
                    // d/db a^b = a^b log a, taken as 0 where a == 0 and b >= 0 (PyTorch).
                    const Tensor zero_base = logical_and(eq(saved_a, 0.0), ge(exponent, 0.0));
                    grad_b = sum_to(
                        where(logical_not(zero_base), mul(g, mul(saved_out, log(saved_a))), 0.0),
                        sb);
                  }
                  return {grad_a, grad_b};
                });
      break;
    case BinaryOp::add_relu:
      // relu'(a + b) read off the output (positive exactly where the sum is), which the
      // next layer keeps anyway: the sum itself is never stored.
      record_op(name, {a, b}, {out},
                [sa, sb, relu_out = out.detach()](const BackwardContext& ctx) -> TensorList {
                  const Tensor g = unary_backward_raw(UnaryOp::relu, {}, ctx.grad(), relu_out);
                  return {ctx.needs_grad(0) ? sum_to(g, sa) : Tensor(),
                          ctx.needs_grad(1) ? sum_to(g, sb) : Tensor()};
                });
      break;
    case BinaryOp::maximum:
    case BinaryOp::minimum: {
      const bool is_max = op == BinaryOp::maximum;
      record_op(
          name, {a, b}, {out},
          [sa, sb, a_ = a.detach(), b_ = b.detach(),
           is_max](const BackwardContext& ctx) -> TensorList {
            const Tensor& g = ctx.grad();
            return {
                ctx.needs_grad(0) ? sum_to(mul(g, winner_share(a_, b_, is_max)), sa) : Tensor(),
                ctx.needs_grad(1) ? sum_to(mul(g, winner_share(b_, a_, is_max)), sb) : Tensor()};
          });
      break;
    }
  }
  return out;
}

bool computes_in_fp32_under_autocast(UnaryOp op) {
  return op == UnaryOp::exp || op == UnaryOp::log || op == UnaryOp::rsqrt ||
         op == UnaryOp::reciprocal || op == UnaryOp::softplus || op == UnaryOp::pow_scalar;
}

Tensor& binary_inplace(BinaryOp op, Tensor& self, const Tensor& other, const char* name) {
  const profile::OpScope scope(name, self, other);
  check_inplace(self, name);
  FOVEA_CHECK(broadcast_shapes(self.shape(), other.shape(), name) == self.shape(),
              "{}: operand of shape {} does not broadcast to the destination's shape {}", name,
              shape_str(other.shape()), shape_str(self.shape()));
  NoGradGuard no_grad;
  binary_into(op, self, self, other.to(self.dtype()), name);
  return self;
}

}  // namespace

// ---------------------------------------------------------------- public ops

Tensor scalar_tensor(double value, DType dtype, Device device) {
  return full({}, value, {.dtype = dtype, .device = device});
}

Tensor add(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::add, a, b, "add");
}
Tensor sub(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::sub, a, b, "sub");
}
Tensor mul(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::mul, a, b, "mul");
}
Tensor div(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::div, a, b, "div");
}
Tensor pow(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::pow, a, b, "pow");
}
Tensor maximum(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::maximum, a, b, "maximum");
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::minimum, a, b, "minimum");
}
Tensor add_relu(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::add_relu, a, b, "add_relu");
}

Tensor add(const Tensor& a, double b) {
  return add(a, as_scalar_like(a, b));
}
Tensor sub(const Tensor& a, double b) {
  return sub(a, as_scalar_like(a, b));
}
Tensor mul(const Tensor& a, double b) {
  return mul(a, as_scalar_like(a, b));
}
Tensor div(const Tensor& a, double b) {
  return div(a, as_scalar_like(a, b));
}
Tensor pow(const Tensor& base, double exponent) {
  return unary(UnaryOp::pow_scalar, base.to(is_floating(base.dtype()) ? base.dtype() : DType::f32),
               {exponent, 0.0});
}

Tensor unary(UnaryOp op, const Tensor& x_in, UnaryParams params) {
  const char* name = kernels::unary_op_name(op);
  const profile::OpScope scope(name, x_in);
  check_floating(x_in, name, "input");
  const Tensor x =
      computes_in_fp32_under_autocast(op) ? autocast(x_in, AutocastPolicy::fp32) : x_in;
  Tensor out = unary_raw(op, params, x);
  record_op(name, {x}, {out}, [op, params, saved = x.detach()](const BackwardContext& ctx) {
    return TensorList{unary_backward_raw(op, params, ctx.grad(), saved)};
  });
  return out;
}

Tensor neg(const Tensor& x) {
  if (!is_floating(x.dtype())) return mul(x, -1.0);
  return unary(UnaryOp::neg, x);
}
Tensor exp(const Tensor& x) {
  return unary(UnaryOp::exp, x);
}
Tensor log(const Tensor& x) {
  return unary(UnaryOp::log, x);
}
Tensor sqrt(const Tensor& x) {
  return unary(UnaryOp::sqrt, x);
}
Tensor rsqrt(const Tensor& x) {
  return unary(UnaryOp::rsqrt, x);
}
Tensor abs(const Tensor& x) {
  return unary(UnaryOp::abs, x);
}
Tensor sign(const Tensor& x) {
  return unary(UnaryOp::sign, x);
}
Tensor reciprocal(const Tensor& x) {
  return unary(UnaryOp::reciprocal, x);
}
Tensor square(const Tensor& x) {
  return mul(x, x);
}

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  return unary(UnaryOp::clamp, x, {min.value_or(-kInf), max.value_or(kInf)});
}

Tensor where(const Tensor& cond, const Tensor& a_in, const Tensor& b_in) {
  const profile::OpScope scope("where", cond, a_in, b_in);
  FOVEA_CHECK(cond.dtype() == DType::boolean, "where: condition must be bool, got {} of shape {}",
              dtype_name(cond.dtype()), shape_str(cond.shape()));
  const Device device = common_device("where", {&cond, &a_in, &b_in});
  const DType dtype = promote_types(a_in.dtype(), b_in.dtype());
  const Tensor a = a_in.to(dtype), b = b_in.to(dtype);
  const Shape shape =
      broadcast_shapes(cond.shape(), broadcast_shapes(a.shape(), b.shape(), "where"), "where");
  Tensor out = make_tensor(shape, dtype, device);
  switch (device.type) {
    case DeviceType::CPU:
      cpu::where(out, cond, a, b);
      break;
    case DeviceType::CUDA:
      cuda::where(out, cond, a, b);
      break;
  }
  if (is_floating(dtype)) {
    record_op("where", {a, b}, {out},
              [c = cond, sa = a.shape(), sb = b.shape()](const BackwardContext& ctx) -> TensorList {
                const Tensor& g = ctx.grad();
                return {ctx.needs_grad(0) ? sum_to(where(c, g, 0.0), sa) : Tensor(),
                        ctx.needs_grad(1) ? sum_to(where(logical_not(c), g, 0.0), sb) : Tensor()};
              });
  }
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, double b) {
  return where(cond, a, as_scalar_like(a, b));
}

Tensor eq(const Tensor& a, const Tensor& b) {
  return compare_raw(CompareOp::eq, a, b, "eq");
}
Tensor ne(const Tensor& a, const Tensor& b) {
  return compare_raw(CompareOp::ne, a, b, "ne");
}
Tensor lt(const Tensor& a, const Tensor& b) {
  return compare_raw(CompareOp::lt, a, b, "lt");
}
Tensor le(const Tensor& a, const Tensor& b) {
  return compare_raw(CompareOp::le, a, b, "le");
}
Tensor gt(const Tensor& a, const Tensor& b) {
  return compare_raw(CompareOp::gt, a, b, "gt");
}
Tensor ge(const Tensor& a, const Tensor& b) {
  return compare_raw(CompareOp::ge, a, b, "ge");
}
Tensor eq(const Tensor& a, double b) {
  return eq(a, as_scalar_like(a, b));
}
Tensor ne(const Tensor& a, double b) {
  return ne(a, as_scalar_like(a, b));
}
Tensor lt(const Tensor& a, double b) {
  return lt(a, as_scalar_like(a, b));
}
Tensor le(const Tensor& a, double b) {
  return le(a, as_scalar_like(a, b));
}
Tensor gt(const Tensor& a, double b) {
  return gt(a, as_scalar_like(a, b));
}
Tensor ge(const Tensor& a, double b) {
  return ge(a, as_scalar_like(a, b));
}
Tensor logical_not(const Tensor& x) {
  return eq(x.to(DType::boolean), scalar_tensor(0, DType::boolean, x.device()));
}

Tensor logical_and(const Tensor& a, const Tensor& b) {
  return ne(mul(a.to(DType::i32), b.to(DType::i32)), 0.0);
}

Tensor& add_(Tensor& self, const Tensor& other) {
  return binary_inplace(BinaryOp::add, self, other, "add_");
}
Tensor& sub_(Tensor& self, const Tensor& other) {
  return binary_inplace(BinaryOp::sub, self, other, "sub_");
}
Tensor& mul_(Tensor& self, const Tensor& other) {
  return binary_inplace(BinaryOp::mul, self, other, "mul_");
}
Tensor& add_(Tensor& self, double other) {
  return add_(self, as_scalar_like(self, other));
}
Tensor& mul_(Tensor& self, double other) {
  return mul_(self, as_scalar_like(self, other));
}
Tensor& add_scaled_(Tensor& self, const Tensor& other, double alpha) {
  NoGradGuard no_grad;
  return add_(self, mul(other, alpha));
}

}  // namespace fovea
