// scaled_dot_product_attention (engine/ops/attention.h): checks, autocast, the flattening
// of leading dims into one batch, and the backward node, with one device switch each way
// into engine/ops/cpu/attention.cpp or engine/ops/cuda/attention.cpp.
#include "engine/ops/attention.h"

#include <cmath>

#include "engine/autocast.h"
#include "engine/autograd.h"
#include "engine/ops/cpu/attention.h"
#include "engine/ops/cuda/attention.h"
#include "engine/ops/dispatch.h"
#include "engine/ops/loops.h"
#include "engine/ops/reduction.h"
#include "engine/profile.h"
#include "engine/rng.h"
#include "kernels/attention.h"

namespace fovea {

namespace {

constexpr const char* kOp = "scaled_dot_product_attention";

// A bias or mask broadcast over the scores [lead..., L, S], in the kernels' terms: the
// sizes and strides of the lead dims (each flattened batch element's offset follows from
// them) and the strides within one [L, S] map.
kernels::ScoreLayout broadcast_over_scores(const Tensor& t, const Shape& score_shape,
                                           const char* what) {
  const int64_t lead_dims = static_cast<int64_t>(score_shape.size()) - t.dim();
  bool fits = lead_dims >= 0;
  for (int64_t d = 0; fits && d < t.dim(); ++d) {
    fits = t.size(d) == 1 || t.size(d) == score_shape[lead_dims + d];
  }
  FOVEA_CHECK(fits, "{}: {} of shape {} does not broadcast to the scores [..., L, S] = {}", kOp,
              what, shape_str(t.shape()), shape_str(score_shape));
  const Shape strides = broadcast_strides(t, score_shape, kOp);
  const int64_t lead = static_cast<int64_t>(score_shape.size()) - 2;
  FOVEA_CHECK(lead <= kernels::ScoreLayout::kMaxLeadDims,
              "{}: at most {} leading dims before [L, S], got scores of shape {}", kOp,
              kernels::ScoreLayout::kMaxLeadDims, shape_str(score_shape));
  kernels::ScoreLayout out;
  out.lead_dims = static_cast<int>(lead);
  for (int64_t d = 0; d < lead; ++d) {
    out.lead_size[d] = score_shape[d];
    out.lead_stride[d] = strides[d];
  }
  out.row_stride = strides[lead];
  out.col_stride = strides[lead + 1];
  return out;
}

void check_arguments(const Tensor& q, const Tensor& k, const Tensor& v,
                     const AttentionOptions& options) {
  FOVEA_CHECK(q.defined() && k.defined() && v.defined(), "{}: q, k and v must all be defined", kOp);
  FOVEA_CHECK(q.dim() >= 2 && q.dim() == k.dim() && q.dim() == v.dim(),
              "{}: expected q [..., L, D], k [..., S, D], v [..., S, Dv] with the same number "
              "of dims (at least 2), got q {}, k {}, v {}",
              kOp, shape_str(q.shape()), shape_str(k.shape()), shape_str(v.shape()));
  const Shape lead(q.shape().begin(), q.shape().end() - 2);
  const bool same_lead = Shape(k.shape().begin(), k.shape().end() - 2) == lead &&
                         Shape(v.shape().begin(), v.shape().end() - 2) == lead;
  FOVEA_CHECK(same_lead && q.size(-1) == k.size(-1) && k.size(-2) == v.size(-2),
              "{}: shapes do not fit q [..., L, D], k [..., S, D], v [..., S, Dv]: got q {}, "
              "k {}, v {}",
              kOp, shape_str(q.shape()), shape_str(k.shape()), shape_str(v.shape()));
  check_floating(q, kOp, "q");
  FOVEA_CHECK(k.dtype() == q.dtype() && v.dtype() == q.dtype(),
              "{}: q, k and v must have one dtype, got {}, {} and {}", kOp, dtype_name(q.dtype()),
              dtype_name(k.dtype()), dtype_name(v.dtype()));
  if (options.bias.defined()) check_floating(options.bias, kOp, "bias");
  FOVEA_CHECK(!options.mask.defined() || options.mask.dtype() == DType::boolean,
              "{}: mask must be a bool tensor (true = may attend), got {} of shape {}", kOp,
              dtype_name(options.mask.dtype()), shape_str(options.mask.shape()));
  FOVEA_CHECK(options.dropout_p >= 0.0 && options.dropout_p < 1.0,
              "{}: dropout_p must be in [0, 1), got {}", kOp, options.dropout_p);
}

}  // namespace

Tensor scaled_dot_product_attention(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in,
                                    const AttentionOptions& options) {
  const profile::OpScope scope("scaled_dot_product_attention", q_in, k_in, v_in);
  const Tensor q = autocast(q_in, AutocastPolicy::lower_precision);
  const Tensor k = autocast(k_in, AutocastPolicy::lower_precision);
  const Tensor v = autocast(v_in, AutocastPolicy::lower_precision);
  check_arguments(q, k, v, options);
  // The bias takes the scores' dtype through a differentiable cast, so its gradient
  // arrives in its own dtype.
  const Tensor bias = options.bias.defined()
                          ? autocast(options.bias, AutocastPolicy::lower_precision).to(q.dtype())
                          : Tensor();
  const Tensor& mask = options.mask;
  const Device device = common_device(kOp, {&q, &k, &v, &bias, &mask});
  // The CPU kernels compute 16-bit floats in f32; the CUDA kernels compute them natively
  // (f32 accumulation), with no widening.
  const DType dtype = q.dtype(), compute = device.is_cpu() ? cpu_compute_dtype(dtype) : dtype;
  Shape score_shape(q.shape().begin(), q.shape().end() - 1);
  score_shape.push_back(k.size(-2));
  Shape out_shape(q.shape().begin(), q.shape().end() - 1);
  out_shape.push_back(v.size(-1));
  const int64_t head_dim = q.size(-1);
  const kernels::AttentionShape shape{
      .batch = shape_numel(Shape(q.shape().begin(), q.shape().end() - 2)),
      .q_len = q.size(-2),
      .kv_len = k.size(-2),
      .head_dim = head_dim,
      .value_dim = v.size(-1),
      .scale = options.scale.value_or(1.0 / std::sqrt(static_cast<double>(head_dim)))};
  count_macs(shape.batch * shape.q_len * shape.kv_len * (shape.head_dim + shape.value_dim));
  kernels::AttentionDropout dropout{.p = options.dropout_p};
  if (dropout.p > 0) {
    const RngState state =
        default_generator().reserve(static_cast<uint64_t>(shape_numel(score_shape)));
    dropout.seed = state.seed;
    dropout.offset = state.offset;
  }

  Tensor q_c, k_c, v_c, probs, out;
  {
    NoGradGuard no_grad;
    q_c = q.detach().to(compute).contiguous();
    k_c = k.detach().to(compute).contiguous();
    v_c = v.detach().to(compute).contiguous();
    const Tensor bias_c = bias.defined() ? bias.detach().to(compute) : Tensor();
    const kernels::ScoreLayout bias_at = bias.defined()
                                             ? broadcast_over_scores(bias_c, score_shape, "bias")
                                             : kernels::ScoreLayout{};
    const kernels::ScoreLayout mask_at =
        mask.defined() ? broadcast_over_scores(mask, score_shape, "mask") : kernels::ScoreLayout{};
    TensorList result;
    switch (device.type) {
      case DeviceType::CPU:
        result = cpu::attention_forward(shape, q_c, k_c, v_c, bias_c, bias_at, mask, mask_at,
                                        dropout, score_shape, out_shape);
        break;
      case DeviceType::CUDA:
        result = cuda::attention_forward(shape, q_c, k_c, v_c, bias_c, bias_at, mask, mask_at,
                                         dropout, score_shape, out_shape);
        break;
    }
    probs = result[0];
    out = result[1];
    out = out.to(dtype);
    // A copy even when the dtype matches: probs is saved for backward, and the caller may
    // edit the map it gets.
    if (options.probabilities)
      *options.probabilities = dtype == compute ? probs.clone() : probs.to(dtype);
  }
  if (!should_record({q, k, v, bias})) return out;

  record_op(kOp, {q, k, v, bias}, {out},
            [q_c, k_c, v_c, probs, shape, dropout, score_shape, dtype, compute,
             bias_shape = bias.defined() ? bias.shape()
                                         : Shape()](const BackwardContext& ctx) -> TensorList {
              const Tensor grad_out = ctx.grad().to(compute).contiguous();
              auto finish = [&](const Tensor& t) { return t.defined() ? t.to(dtype) : Tensor(); };
              TensorList g;
              switch (grad_out.device().type) {
                case DeviceType::CPU:
                  g = cpu::attention_backward(shape, q_c, k_c, v_c, probs, dropout, grad_out,
                                              score_shape, ctx.needs_grad(0), ctx.needs_grad(1),
                                              ctx.needs_grad(2));
                  break;
                case DeviceType::CUDA:
                  g = cuda::attention_backward(shape, q_c, k_c, v_c, probs, dropout, grad_out,
                                               score_shape, ctx.needs_grad(0), ctx.needs_grad(1),
                                               ctx.needs_grad(2));
                  break;
              }
              return {finish(g[1]), finish(g[2]), finish(g[3]),
                      ctx.needs_grad(3) ? sum_to(g[0], bias_shape).to(dtype) : Tensor()};
            });
  return out;
}

}  // namespace fovea
