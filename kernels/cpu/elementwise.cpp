// CPU reference for the elementwise kernels (kernels/elementwise.h).
//
// Each public function switches once on the op and runs a templated loop with a small
// lambda, so the compiler inlines the math into a loop it can vectorise. The inner loop
// has fast paths for the layouts that dominate real networks: everything contiguous,
// and one operand broadcast as a scalar along the inner dim.
#include "kernels/elementwise.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/vector_math.h"

namespace fovea::kernels {

const char* unary_op_name(UnaryOp op) {
  switch (op) {
    case UnaryOp::neg: return "neg";
    case UnaryOp::exp: return "exp";
    case UnaryOp::log: return "log";
    case UnaryOp::sqrt: return "sqrt";
    case UnaryOp::rsqrt: return "rsqrt";
    case UnaryOp::abs: return "abs";
    case UnaryOp::sign: return "sign";
    case UnaryOp::reciprocal: return "reciprocal";
    case UnaryOp::relu: return "relu";
    case UnaryOp::relu6: return "relu6";
    case UnaryOp::gelu_erf: return "gelu";
    case UnaryOp::gelu_tanh: return "gelu_tanh";
    case UnaryOp::silu: return "silu";
    case UnaryOp::sigmoid: return "sigmoid";
    case UnaryOp::tanh: return "tanh";
    case UnaryOp::hardswish: return "hardswish";
    case UnaryOp::hardsigmoid: return "hardsigmoid";
    case UnaryOp::softplus: return "softplus";
    case UnaryOp::clamp: return "clamp";
    case UnaryOp::pow_scalar: return "pow";
  }
  return "?";
}

namespace cpu {

namespace {

template <typename Out, typename A, typename B, typename F>
void ternary_loop(const Loop<3>& loop, Out* out, const A* a, const B* b, F f) {
  const int64_t so = loop.inner_stride(0), sa = loop.inner_stride(1), sb = loop.inner_stride(2);
  for_each_row(loop, [&](const int64_t* off, int64_t n) {
    Out* o = out + off[0];
    const A* x = a + off[1];
    const B* y = b + off[2];
    if (so == 1 && sa == 1 && sb == 1) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
    } else if (so == 1 && sa == 1 && sb == 0) {
      const B yv = *y;
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
    } else if (so == 1 && sa == 0 && sb == 1) {
      const A xv = *x;
      for (int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) o[i * so] = f(x[i * sa], y[i * sb]);
    }
  });
}

template <typename T, typename F>
void unary_loop(const Loop<2>& loop, T* out, const T* x, F f) {
  const int64_t so = loop.inner_stride(0), sx = loop.inner_stride(1);
  for_each_row(loop, [&](const int64_t* off, int64_t n) {
    T* o = out + off[0];
    const T* in = x + off[1];
    if (so == 1 && sx == 1) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(in[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) o[i * so] = f(in[i * sx]);
    }
  });
}

// Constants of the tanh approximation of GELU (Hendrycks & Gimpel, 2016).
constexpr double kSqrt2OverPi = 0.7978845608028654;
constexpr double kGeluKappa = 0.044715;
constexpr double kInvSqrt2 = 0.7071067811865476;
constexpr double kInvSqrt2Pi = 0.3989422804014327;

}  // namespace

template <typename T>
void binary(BinaryOp op, const Loop<3>& loop, T* out, const T* a, const T* b) {
  switch (op) {
    case BinaryOp::add: return ternary_loop(loop, out, a, b, [](T x, T y) { return T(x + y); });
    case BinaryOp::sub: return ternary_loop(loop, out, a, b, [](T x, T y) { return T(x - y); });
    case BinaryOp::mul: return ternary_loop(loop, out, a, b, [](T x, T y) { return T(x * y); });
    case BinaryOp::add_relu:
      // The sum rounded to T first, as add followed by relu would: the same bits.
      return ternary_loop(loop, out, a, b, [](T x, T y) {
        const T sum = T(x + y);
        return sum > 0 ? sum : T(0);
      });
    case BinaryOp::maximum:
      return ternary_loop(loop, out, a, b, [](T x, T y) { return (x != x || x > y) ? x : y; });
    case BinaryOp::minimum:
      return ternary_loop(loop, out, a, b, [](T x, T y) { return (x != x || x < y) ? x : y; });
    case BinaryOp::div:
    case BinaryOp::pow:
      if constexpr (std::is_floating_point_v<T>) {
        if (op == BinaryOp::div) {
          return ternary_loop(loop, out, a, b, [](T x, T y) { return x / y; });
        }
        return ternary_loop(loop, out, a, b, [](T x, T y) { return std::pow(x, y); });
      }
      break;
  }
  fail("elementwise binary op {} is not defined for integer tensors", static_cast<int>(op));
}

template <typename T>
void compare(CompareOp op, const Loop<3>& loop, bool* out, const T* a, const T* b) {
  switch (op) {
    case CompareOp::eq: return ternary_loop(loop, out, a, b, [](T x, T y) { return x == y; });
    case CompareOp::ne: return ternary_loop(loop, out, a, b, [](T x, T y) { return x != y; });
    case CompareOp::lt: return ternary_loop(loop, out, a, b, [](T x, T y) { return x < y; });
    case CompareOp::le: return ternary_loop(loop, out, a, b, [](T x, T y) { return x <= y; });
    case CompareOp::gt: return ternary_loop(loop, out, a, b, [](T x, T y) { return x > y; });
    case CompareOp::ge: return ternary_loop(loop, out, a, b, [](T x, T y) { return x >= y; });
  }
}

template <typename T>
void unary(UnaryOp op, UnaryParams params, const Loop<2>& loop, T* out, const T* x) {
  const T p = static_cast<T>(params.a), q = static_cast<T>(params.b);
  switch (op) {
    case UnaryOp::neg: return unary_loop(loop, out, x, [](T v) { return -v; });
    case UnaryOp::exp: return unary_loop(loop, out, x, [](T v) { return exp_of(v); });
    case UnaryOp::log: return unary_loop(loop, out, x, [](T v) { return std::log(v); });
    case UnaryOp::sqrt: return unary_loop(loop, out, x, [](T v) { return std::sqrt(v); });
    case UnaryOp::rsqrt: return unary_loop(loop, out, x, [](T v) { return T(1) / std::sqrt(v); });
    case UnaryOp::abs: return unary_loop(loop, out, x, [](T v) { return std::abs(v); });
    case UnaryOp::sign: return unary_loop(loop, out, x, [](T v) { return T((v > 0) - (v < 0)); });
    case UnaryOp::reciprocal: return unary_loop(loop, out, x, [](T v) { return T(1) / v; });
    case UnaryOp::relu: return unary_loop(loop, out, x, [](T v) { return v > 0 ? v : T(0); });
    case UnaryOp::relu6:
      return unary_loop(loop, out, x, [](T v) { return std::min(std::max(v, T(0)), T(6)); });
    case UnaryOp::gelu_erf:
      return unary_loop(loop, out, x, [](T v) {
        return T(0.5) * v * (T(1) + erf_of(v * T(kInvSqrt2)));
      });
    case UnaryOp::gelu_tanh:
      return unary_loop(loop, out, x, [](T v) {
        return T(0.5) * v * (T(1) + tanh_of(T(kSqrt2OverPi) * (v + T(kGeluKappa) * v * v * v)));
      });
    case UnaryOp::silu: return unary_loop(loop, out, x, [](T v) { return v * sigmoid_of(v); });
    case UnaryOp::sigmoid: return unary_loop(loop, out, x, [](T v) { return sigmoid_of(v); });
    case UnaryOp::tanh: return unary_loop(loop, out, x, [](T v) { return tanh_of(v); });
    case UnaryOp::hardswish:
      return unary_loop(loop, out, x, [](T v) {
        return v * std::min(std::max(v + T(3), T(0)), T(6)) / T(6);
      });
    case UnaryOp::hardsigmoid:
      return unary_loop(loop, out, x, [](T v) {
        return std::min(std::max(v + T(3), T(0)), T(6)) / T(6);
      });
    case UnaryOp::softplus:  // beta = p, threshold = q
      return unary_loop(loop, out, x, [p, q](T v) {
        return v * p > q ? v : std::log1p(std::exp(v * p)) / p;
      });
    case UnaryOp::clamp:
      return unary_loop(loop, out, x, [p, q](T v) { return std::min(std::max(v, p), q); });
    case UnaryOp::pow_scalar: return unary_loop(loop, out, x, [p](T v) { return std::pow(v, p); });
  }
}

template <typename T>
void unary_backward(UnaryOp op, UnaryParams params, const Loop<3>& loop, T* grad_x,
                    const T* grad_y, const T* x) {
  const T p = static_cast<T>(params.a), q = static_cast<T>(params.b);
  auto run = [&](auto derivative) {
    ternary_loop(loop, grad_x, grad_y, x, [derivative](T g, T v) { return g * derivative(v); });
  };
  switch (op) {
    case UnaryOp::neg: return run([](T) { return T(-1); });
    case UnaryOp::exp: return run([](T v) { return exp_of(v); });
    case UnaryOp::log: return run([](T v) { return T(1) / v; });
    case UnaryOp::sqrt: return run([](T v) { return T(0.5) / std::sqrt(v); });
    case UnaryOp::rsqrt: return run([](T v) { return T(-0.5) / (v * std::sqrt(v)); });
    case UnaryOp::abs: return run([](T v) { return T((v > 0) - (v < 0)); });
    case UnaryOp::sign: return run([](T) { return T(0); });
    case UnaryOp::reciprocal: return run([](T v) { return T(-1) / (v * v); });
    case UnaryOp::relu: return run([](T v) { return v > 0 ? T(1) : T(0); });
    case UnaryOp::relu6: return run([](T v) { return (v > 0 && v < 6) ? T(1) : T(0); });
    case UnaryOp::gelu_erf:
      return run([](T v) {
        const T cdf = T(0.5) * (T(1) + erf_of(v * T(kInvSqrt2)));
        const T pdf = T(kInvSqrt2Pi) * exp_of(T(-0.5) * v * v);
        return cdf + v * pdf;
      });
    case UnaryOp::gelu_tanh:
      return run([](T v) {
        const T inner = T(kSqrt2OverPi) * (v + T(kGeluKappa) * v * v * v);
        const T t = tanh_of(inner);
        const T d_inner = T(kSqrt2OverPi) * (T(1) + T(3 * kGeluKappa) * v * v);
        return T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * d_inner;
      });
    case UnaryOp::silu:
      return run([](T v) {
        const T s = sigmoid_of(v);
        return s * (T(1) + v * (T(1) - s));
      });
    case UnaryOp::sigmoid:
      return run([](T v) {
        const T s = sigmoid_of(v);
        return s * (T(1) - s);
      });
    case UnaryOp::tanh:
      return run([](T v) {
        const T t = tanh_of(v);
        return T(1) - t * t;
      });
    case UnaryOp::hardswish:
      return run([](T v) { return v < T(-3) ? T(0) : (v <= T(3) ? v / T(3) + T(0.5) : T(1)); });
    case UnaryOp::hardsigmoid:
      return run([](T v) { return (v > T(-3) && v < T(3)) ? T(1) / T(6) : T(0); });
    case UnaryOp::softplus:
      return run([p, q](T v) {
        if (v * p > q) return T(1);
        const T z = std::exp(v * p);
        return z / (z + T(1));
      });
    case UnaryOp::clamp: return run([p, q](T v) { return (v >= p && v <= q) ? T(1) : T(0); });
    case UnaryOp::pow_scalar:
      return run([p](T v) { return p == T(0) ? T(0) : p * std::pow(v, p - T(1)); });
  }
}

template <typename T>
void where(const Loop<4>& loop, T* out, const bool* cond, const T* a, const T* b) {
  const int64_t so = loop.inner_stride(0), sc = loop.inner_stride(1);
  const int64_t sa = loop.inner_stride(2), sb = loop.inner_stride(3);
  for_each_row(loop, [&](const int64_t* off, int64_t n) {
    T* o = out + off[0];
    const bool* c = cond + off[1];
    const T* x = a + off[2];
    const T* y = b + off[3];
    for (int64_t i = 0; i < n; ++i) o[i * so] = c[i * sc] ? x[i * sa] : y[i * sb];
  });
}

template void binary<float>(BinaryOp, const Loop<3>&, float*, const float*, const float*);
template void binary<double>(BinaryOp, const Loop<3>&, double*, const double*, const double*);
template void binary<int32_t>(BinaryOp, const Loop<3>&, int32_t*, const int32_t*, const int32_t*);
template void binary<int64_t>(BinaryOp, const Loop<3>&, int64_t*, const int64_t*, const int64_t*);

template void compare<float>(CompareOp, const Loop<3>&, bool*, const float*, const float*);
template void compare<double>(CompareOp, const Loop<3>&, bool*, const double*, const double*);
template void compare<int32_t>(CompareOp, const Loop<3>&, bool*, const int32_t*, const int32_t*);
template void compare<int64_t>(CompareOp, const Loop<3>&, bool*, const int64_t*, const int64_t*);
template void compare<uint8_t>(CompareOp, const Loop<3>&, bool*, const uint8_t*, const uint8_t*);
template void compare<bool>(CompareOp, const Loop<3>&, bool*, const bool*, const bool*);

template void unary<float>(UnaryOp, UnaryParams, const Loop<2>&, float*, const float*);
template void unary<double>(UnaryOp, UnaryParams, const Loop<2>&, double*, const double*);
template void unary_backward<float>(UnaryOp, UnaryParams, const Loop<3>&, float*, const float*,
                                    const float*);
template void unary_backward<double>(UnaryOp, UnaryParams, const Loop<3>&, double*,
                                     const double*, const double*);

template void where<float>(const Loop<4>&, float*, const bool*, const float*, const float*);
template void where<double>(const Loop<4>&, double*, const bool*, const double*, const double*);
template void where<int32_t>(const Loop<4>&, int32_t*, const bool*, const int32_t*,
                             const int32_t*);
template void where<int64_t>(const Loop<4>&, int64_t*, const bool*, const int64_t*,
                             const int64_t*);
template void where<uint8_t>(const Loop<4>&, uint8_t*, const bool*, const uint8_t*,
                             const uint8_t*);
template void where<bool>(const Loop<4>&, bool*, const bool*, const bool*, const bool*);

}  // namespace cpu
}  // namespace fovea::kernels
