#include "engine/ops/reduction.h"

#include <algorithm>

#include "engine/autocast.h"
#include "engine/autograd.h"
#include "engine/ops/cpu/reduction.h"
#include "engine/ops/cuda/reduction.h"
#include "engine/ops/dispatch.h"
#include "engine/ops/elementwise.h"
#include "engine/profile.h"
#include "kernels/reduce.h"

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
  const bool one_block =
      std::all_of(reduced.begin() + a, reduced.begin() + b + 1, [](bool r) { return r; });
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

// The dtype a reduction works in: integers and bool as i64, floats as themselves (the CPU
// half widens 16-bit floats to f32 inside and rounds once; CUDA reduces them natively).
DType reduction_dtype(DType dtype) {
  return is_integral(dtype) ? DType::i64 : dtype;
}

ReductionPlan plan_in(const Tensor& x, DType dtype, const Dims& dims, const char* name) {
  NoGradGuard no_grad;
  return plan_reduction(x.to(dtype), dims, name);
}

Tensor reduce_raw(kernels::ReduceOp op, const Tensor& x, const Dims& dims, bool keepdim,
                  const char* name, ReductionPlan* plan_out = nullptr) {
  ReductionPlan plan = plan_in(x, reduction_dtype(x.dtype()), dims, name);
  const Tensor& in = plan.input;
  Tensor out = make_tensor(keepdim ? plan.kept_shape : plan.out_shape, in.dtype(), x.device());
  switch (x.device().type) {
    case DeviceType::CPU:
      cpu::reduce(op, in, out, plan.outer, plan.reduce, plan.inner, name);
      break;
    case DeviceType::CUDA:
      cuda::reduce(op, in, out, plan.outer, plan.reduce, plan.inner, name);
      break;
  }
  if (plan_out) *plan_out = std::move(plan);
  return out;
}

// The gradient of a reduction that treats every reduced element alike (sum, mean).
Tensor spread(const Tensor& grad, const Shape& kept_shape, const Shape& in_shape) {
  return grad.reshape(kept_shape).expand(in_shape);
}

}  // namespace

Tensor sum(const Tensor& x_in, const Dims& dims, bool keepdim) {
  const profile::OpScope scope("sum", x_in);
  const Tensor x = autocast(x_in, AutocastPolicy::fp32);
  ReductionPlan plan;
  Tensor out = reduce_raw(kernels::ReduceOp::sum, x, dims, keepdim, "sum", &plan);
  if (is_floating(x.dtype())) {
    NoGradGuard no_grad;
    out = out.to(x.dtype());
  } else {
    return out;  // integer sums are i64 and carry no gradient
  }
  record_op("sum", {x}, {out},
            [kept = plan.kept_shape, in_shape = x.shape()](const BackwardContext& ctx) {
              return TensorList{spread(ctx.grad(), kept, in_shape)};
            });
  return out;
}

Tensor sum(const Tensor& x) {
  return sum(x, {}, false);
}

Tensor mean(const Tensor& x_in, const Dims& dims, bool keepdim) {
  const profile::OpScope scope("mean", x_in);
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

Tensor mean(const Tensor& x) {
  return mean(x, {}, false);
}

Tensor var(const Tensor& x_in, const Dims& dims, int64_t correction, bool keepdim) {
  const profile::OpScope scope("var", x_in);
  const Tensor x = autocast(x_in, AutocastPolicy::fp32);
  check_floating(x, "var", "input");
  const ReductionPlan plan = plan_in(x, x.dtype(), dims, "var");
  Tensor out = make_tensor(keepdim ? plan.kept_shape : plan.out_shape, x.dtype(), x.device());
  switch (x.device().type) {
    case DeviceType::CPU:
      cpu::variance(plan.input, out, plan.outer, plan.reduce, plan.inner, correction);
      break;
    case DeviceType::CUDA:
      cuda::variance(plan.input, out, plan.outer, plan.reduce, plan.inner, correction);
      break;
  }
  const double denominator = static_cast<double>(plan.reduce - correction);
  record_op(
      "var", {x}, {out},
      [kept = plan.kept_shape, saved = x.detach(), dims, denominator](const BackwardContext& ctx) {
        // d var / dx = 2 (x - mean) / (N - correction)
        const Tensor centered = sub(saved, mean(saved, dims, true));
        return TensorList{mul(centered, div(ctx.grad().reshape(kept), denominator / 2.0))};
      });
  return out;
}

ValuesIndices max(const Tensor& x, int64_t dim_in, bool keepdim) {
  const profile::OpScope scope("max", x);
  FOVEA_CHECK(x.numel() > 0, "max: cannot reduce an empty tensor of shape {}",
              shape_str(x.shape()));
  const int64_t dim = x.dim() == 0 ? 0 : normalize_dim(dim_in, x.dim(), "max");
  const ReductionPlan plan =
      plan_in(x, reduction_dtype(x.dtype()), x.dim() == 0 ? Dims{} : Dims{dim}, "max");
  const Shape& shape = keepdim ? plan.kept_shape : plan.out_shape;
  Tensor values = make_tensor(shape, plan.input.dtype(), x.device());
  Tensor indices = make_tensor(shape, DType::i64, x.device());
  switch (x.device().type) {
    case DeviceType::CPU:
      cpu::max_along(plan.input, values, indices, plan.outer, plan.reduce, plan.inner);
      break;
    case DeviceType::CUDA:
      cuda::max_along(plan.input, values, indices, plan.outer, plan.reduce, plan.inner);
      break;
  }
  {
    NoGradGuard no_grad;
    values = values.to(x.dtype());
  }
  if (is_floating(x.dtype())) {
    record_op("max", {x}, {values},
              [outer = plan.outer, reduce = plan.reduce, inner = plan.inner, indices,
               in_shape = x.shape()](const BackwardContext& ctx) -> TensorList {
                // One reduced dim is always a single block, so [outer, reduce, inner] is
                // the input's own contiguous layout.
                const Tensor& g = ctx.grad();
                switch (g.device().type) {
                  case DeviceType::CPU:
                    return {cpu::scatter_along(g, indices, in_shape, outer, reduce, inner)};
                  case DeviceType::CUDA:
                    return {cuda::scatter_along(g, indices, in_shape, outer, reduce, inner)};
                }
                fail("max backward: unknown device {}", g.device().str());
              });
  }
  return {values, indices};
}

Tensor max(const Tensor& x) {
  return max(x.reshape({-1}), 0, false).values;
}

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  const profile::OpScope scope("argmax", x);
  NoGradGuard no_grad;
  return max(x, dim, keepdim).indices;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  const profile::OpScope scope("sum_to", x);
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
