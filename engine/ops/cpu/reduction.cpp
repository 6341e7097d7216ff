// The CPU half of the reductions: widening of 16-bit floats, dtype dispatch into
// kernels/cpu/reduce.cpp.
#include "engine/ops/cpu/reduction.h"

#include <type_traits>

#include "engine/autograd.h"
#include "engine/ops/dispatch.h"

namespace fovea::cpu {

namespace {

// Runs `compute(in, out)` on f32 copies when `out` is a 16-bit float, and rounds the
// result into `out` once.
template <typename Compute>
bool widened(const Tensor& in, Tensor& out, Compute&& compute) {
  if (cpu_compute_dtype(out.dtype()) == out.dtype()) return false;
  NoGradGuard no_grad;
  Tensor wide = make_tensor(out.shape(), DType::f32, out.device());
  compute(in.to(DType::f32), wide);
  out.copy_(wide);
  return true;
}

}  // namespace

void reduce(kernels::ReduceOp op, const Tensor& in, Tensor& out, int64_t outer, int64_t reduce_len,
            int64_t inner, const char* name) {
  if (widened(in, out, [&](const Tensor& i, Tensor& o) {
        reduce(op, i, o, outer, reduce_len, inner, name);
      })) {
    return;
  }
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> ||
                  std::is_same_v<T, int64_t>) {
      kernels::cpu::reduce<T>(op, in.data<T>(), out.data<T>(), outer, reduce_len, inner);
    } else {
      fail("{}: internal error, unexpected compute dtype {}", name, dtype_name(out.dtype()));
    }
  });
}

void variance(const Tensor& in, Tensor& out, int64_t outer, int64_t reduce_len, int64_t inner,
              int64_t correction) {
  if (widened(in, out, [&](const Tensor& i, Tensor& o) {
        variance(i, o, outer, reduce_len, inner, correction);
      })) {
    return;
  }
  visit_floating(out.dtype(), "var", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::variance<T>(in.data<T>(), out.data<T>(), outer, reduce_len, inner, correction);
  });
}

void max_along(const Tensor& in, Tensor& values, Tensor& indices, int64_t outer, int64_t reduce_len,
               int64_t inner) {
  if (widened(in, values, [&](const Tensor& i, Tensor& v) {
        max_along(i, v, indices, outer, reduce_len, inner);
      })) {
    return;
  }
  visit_dtype(values.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> ||
                  std::is_same_v<T, int64_t>) {
      kernels::cpu::max_along<T>(in.data<T>(), values.data<T>(), indices.data<int64_t>(), outer,
                                 reduce_len, inner);
    } else {
      fail("max: internal error, unexpected compute dtype {}", dtype_name(values.dtype()));
    }
  });
}

Tensor scatter_along(const Tensor& values, const Tensor& indices, const Shape& in_shape,
                     int64_t outer, int64_t reduce_len, int64_t inner) {
  NoGradGuard no_grad;
  const Tensor g = values.to(cpu_compute_dtype(values.dtype())).contiguous();
  const Tensor idx = indices.contiguous();
  Tensor grad_in = make_tensor(in_shape, g.dtype(), g.device());
  visit_floating(g.dtype(), "max backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::scatter_along<T>(g.data<T>(), idx.data<int64_t>(), grad_in.data<T>(), outer,
                                   reduce_len, inner);
  });
  return grad_in.to(values.dtype());
}

}  // namespace fovea::cpu
