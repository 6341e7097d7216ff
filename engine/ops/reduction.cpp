#include "engine/ops/reduction.h"

#include <algorithm>

#include "engine/autocast.h"
#include "engine/autograd.h"
#include "engine/ops/dispatch.h"
#include "engine/ops/elementwise.h"
#include "kernels/reduce.h"

#ifdef FOVEA_HAS_CUDA
#include "engine/ops/cuda/reduction.h"
#endif

namespace fovea {

namespace {

// A reduction brought to [outer, reduce, inner] over contiguous data.
struct ReductionPlan {
  Tensor input;  // contiguous, with the reduced dims as one block
  int64_t outer = 1, reduce = 1, inner = 1;
  Shape kept_shape;  // the result with keepdim=true
  Shape out_shape;   // the result with keepdim=false
};

ReductionPlan plan_reduction(const Tensor& x, const Dims& dims_in, const char* op) {
  const int64_t n = x.dim();
  std::vector<bool> reduced(n, dims_in.empty());
  for (int64_t d : dims_in) reduced[normalize_dim(d, n, op)] = true;

  ReductionPlan plan;
  for (int64_t d = 0; d < n; ++d) {
    plan.kept_shape.push_back(reduced[d] ? 1 : x.size(d));
    if (!reduced[d]) plan.out_shape.push_back(x.size(d));
  }
  const auto first = std::find(reduced.begin(), reduced.end(), true);
  const auto last = std::find(reduced.rbegin(), reduced.rend(), true);
  if (first == reduced.end()) {  // nothing to reduce (0-dim input)
    plan.input = x.contiguous();
    return plan;
  }
  const int64_t a = first - reduced.begin(), b = n - 1 - (last - reduced.rbegin());
  const bool one_block = std::all_of(reduced.begin() + a, reduced.begin() + b + 1, [](bool r) { return r; });
  if (one_block) {
    plan.input = x.contiguous();
    for (int64_t d = 0; d < n; ++d) {
      (d < a ? plan.outer : d <= b ? plan.reduce : plan.inner) *= x.size(d);
    }
  } else {
    // Move the reduced dims behind the kept ones, keeping their order, and copy.
    std::vector<int64_t> order;
    for (int64_t d = 0; d < n; ++d) {
      if (!reduced[d]) order.push_back(d);
    }
    for (int64_t d = 0; d < n; ++d) {
      if (reduced[d]) order.push_back(d);
    }
    NoGradGuard no_grad;
    plan.input = x.permute(order).contiguous();
    for (int64_t d = 0; d < n; ++d) (reduced[d] ? plan.reduce : plan.outer) *= x.size(d);
  }
  return plan;
}

// The dtype a reduction computes in: integers and bool sum as i64, 16-bit floats as f32.
DType reduction_compute_dtype(DType dtype) {
  if (is_integral(dtype)) return DType::i64;
  return cpu_compute_dtype(dtype);
}

Tensor reduce_raw(kernels::ReduceOp op, const Tensor& x, const Dims& dims, bool keepdim,
                  const char* name, ReductionPlan* plan_out = nullptr) {
#ifdef FOVEA_HAS_CUDA
  // CUDA reduces the 16-bit floats natively (accumulating in double): no widening copy.
  if (on_cuda(name, {&x})) {
    const DType compute = is_integral(x.dtype()) ? DType::i64 : x.dtype();
    ReductionPlan plan;
    {
      NoGradGuard no_grad;
      plan = plan_reduction(x.to(compute), dims, name);
    }
    Tensor out = make_tensor(keepdim ? plan.kept_shape : plan.out_shape, compute, x.device());
    reduce_cuda(op, plan.input, out, plan.outer, plan.reduce, plan.inner, name);
    if (plan_out) *plan_out = std::move(plan);
    return out;
  }
#endif
  check_cpu(name, {&x});
  const DType compute = reduction_compute_dtype(x.dtype());
  ReductionPlan plan;
  {
    NoGradGuard no_grad;
    plan = plan_reduction(x.to(compute), dims, name);
  }
  Tensor out = make_tensor(keepdim ? plan.kept_shape : plan.out_shape, compute, x.device());
  visit_dtype(compute, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int64_t>) {
      kernels::cpu::reduce<T>(op, plan.input.data<T>(), out.data<T>(), plan.outer, plan.reduce,
                              plan.inner);
    } else {
      fail("{}: internal error, unexpected compute dtype {}", name, dtype_name(compute));
    }
  });
  if (plan_out) *plan_out = std::move(plan);
  return out;
}

// The gradient of a reduction that treats every reduced element alike (sum, mean).
Tensor spread(const Tensor& grad, const Shape& kept_shape, const Shape& in_shape) {
  return grad.reshape(kept_shape).expand(in_shape);
}

}  // namespace

Tensor sum(const Tensor& x_in, const Dims& dims, bool keepdim) {
  const Tensor x = autocast(x_in, AutocastPolicy::fp32);
  ReductionPlan plan;
  Tensor out = reduce_raw(kernels::ReduceOp::sum, x, dims, keepdim, "sum", &plan);
  if (is_floating(x.dtype())) {
    NoGradGuard no_grad;
    out = out.to(x.dtype());
  } else {
    return out;  // integer sums are i64 and carry no gradient
  }
  record_op("sum", {x}, {out}, [kept = plan.kept_shape, in_shape = x.shape()](const BackwardContext& ctx) {
    return TensorList{spread(ctx.grad(), kept, in_shape)};
  });
  return out;
}

Tensor sum(const Tensor& x) { return sum(x, {}, false); }

Tensor mean(const Tensor& x_in, const Dims& dims, bool keepdim) {
  const Tensor x = autocast(x_in, AutocastPolicy::fp32);
  check_floating(x, "mean", "input");
  ReductionPlan plan;
  Tensor out = reduce_raw(kernels::ReduceOp::mean, x, dims, keepdim, "mean", &plan);
  {
    NoGradGuard no_grad;
    out = out.to(x.dtype());
  }
  const double count = static_cast<double>(plan.reduce);
  record_op("mean", {x}, {out},
            [kept = plan.kept_shape, in_shape = x.shape(), count](const BackwardContext& ctx) {
              return TensorList{spread(div(ctx.grad(), count), kept, in_shape)};
            });
  return out;
}

Tensor mean(const Tensor& x) { return mean(x, {}, false); }

Tensor var(const Tensor& x_in, const Dims& dims, int64_t correction, bool keepdim) {
  const Tensor x = autocast(x_in, AutocastPolicy::fp32);
  check_floating(x, "var", "input");
#ifdef FOVEA_HAS_CUDA
  const bool cuda = on_cuda("var", {&x});
#else
  const bool cuda = false;
#endif
  if (!cuda) check_cpu("var", {&x});
  const DType compute = cuda ? x.dtype() : cpu_compute_dtype(x.dtype());
  ReductionPlan plan;
  {
    NoGradGuard no_grad;
    plan = plan_reduction(x.to(compute), dims, "var");
  }
  Tensor out = make_tensor(keepdim ? plan.kept_shape : plan.out_shape, compute, x.device());
#ifdef FOVEA_HAS_CUDA
  if (cuda) variance_cuda(plan.input, out, plan.outer, plan.reduce, plan.inner, correction);
#endif
  if (!cuda) {
    visit_floating(compute, "var", [&](auto tag) {
      using T = decltype(tag);
      kernels::cpu::variance<T>(plan.input.data<T>(), out.data<T>(), plan.outer, plan.reduce,
                                plan.inner, correction);
    });
  }
  {
    NoGradGuard no_grad;
    out = out.to(x.dtype());
  }
  const double denominator = static_cast<double>(plan.reduce - correction);
  record_op("var", {x}, {out},
            [kept = plan.kept_shape, saved = x.detach(), dims, denominator](const BackwardContext& ctx) {
              // d var / dx = 2 (x - mean) / (N - correction)
              const Tensor centered = sub(saved, mean(saved, dims, true));
              return TensorList{mul(centered, div(ctx.grad().reshape(kept), denominator / 2.0))};
            });
  return out;
}

ValuesIndices max(const Tensor& x, int64_t dim_in, bool keepdim) {
#ifdef FOVEA_HAS_CUDA
  const bool cuda = on_cuda("max", {&x});
#else
  const bool cuda = false;
#endif
  if (!cuda) check_cpu("max", {&x});
  FOVEA_CHECK(x.numel() > 0, "max: cannot reduce an empty tensor of shape {}", shape_str(x.shape()));
  const int64_t dim = x.dim() == 0 ? 0 : normalize_dim(dim_in, x.dim(), "max");
  const DType compute = !is_floating(x.dtype()) ? DType::i64
                        : cuda                  ? x.dtype()
                                                : cpu_compute_dtype(x.dtype());
  ReductionPlan plan;
  {
    NoGradGuard no_grad;
    plan = plan_reduction(x.to(compute), x.dim() == 0 ? Dims{} : Dims{dim}, "max");
  }
  const Shape& shape = keepdim ? plan.kept_shape : plan.out_shape;
  Tensor values = make_tensor(shape, compute, x.device());
  Tensor indices = make_tensor(shape, DType::i64, x.device());
#ifdef FOVEA_HAS_CUDA
  if (cuda) max_along_cuda(plan.input, values, indices, plan.outer, plan.reduce, plan.inner);
#endif
  if (!cuda) visit_dtype(compute, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int64_t>) {
      kernels::cpu::max_along<T>(plan.input.data<T>(), values.data<T>(), indices.data<int64_t>(),
                                 plan.outer, plan.reduce, plan.inner);
    } else {
      fail("max: internal error, unexpected compute dtype {}", dtype_name(compute));
    }
  });
  {
    NoGradGuard no_grad;
    values = values.to(x.dtype());
  }
  if (is_floating(x.dtype())) {
    record_op("max", {x}, {values},
              [outer = plan.outer, reduce = plan.reduce, inner = plan.inner, indices,
               in_shape = x.shape()](const BackwardContext& ctx) {
                // One reduced dim is always a single block, so [outer, reduce, inner] is
                // the input's own contiguous layout.
#ifdef FOVEA_HAS_CUDA
                if (ctx.grad().device().is_cuda()) {
                  const Tensor g = ctx.grad().contiguous();
                  Tensor grad_in = make_tensor(in_shape, g.dtype(), g.device());
                  scatter_along_cuda(g, indices.contiguous(), grad_in, outer, reduce, inner);
                  return TensorList{grad_in};
                }
#endif
                const Tensor g = ctx.grad().to(cpu_compute_dtype(ctx.grad().dtype())).contiguous();
                Tensor grad_in = make_tensor(in_shape, g.dtype(), g.device());
                visit_floating(g.dtype(), "max backward", [&](auto tag) {
                  using T = decltype(tag);
                  kernels::cpu::scatter_along<T>(g.data<T>(), indices.contiguous().data<int64_t>(),
                                                 grad_in.data<T>(), outer, reduce, inner);
                });
                return TensorList{grad_in};
              });
  }
  return {values, indices};
}

Tensor max(const Tensor& x) { return max(x.reshape({-1}), 0, false).values; }

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  NoGradGuard no_grad;
  return max(x, dim, keepdim).indices;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const int64_t lead = x.dim() - static_cast<int64_t>(shape.size());
  FOVEA_CHECK(lead >= 0, "sum_to: cannot sum shape {} to the larger shape {}", shape_str(x.shape()),
              shape_str(shape));
  Dims dims;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d < lead || (shape[d - lead] == 1 && x.size(d) != 1)) dims.push_back(d);
  }
  return sum(x, dims, true).reshape(shape);
}

}  // namespace fovea
