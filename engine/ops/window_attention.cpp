// window_attention (engine/ops/window_attention.h): argument checks, then the fused op
// (one graph node, one device switch each way into engine/ops/cpu/window_attention.cpp or
// engine/ops/cuda/window_attention.cpp) for windows of at most kMaxWindowTokens tokens
// and kMaxWindowHeadDim dims, or else the composition through scaled_dot_product_attention.
// The choice depends on the shape only, never on the device, so the CPU reference runs
// the graph the GPU runs.
#include "engine/ops/window_attention.h"

#include <cmath>

#include "engine/autocast.h"
#include "engine/autograd.h"
#include "engine/ops/attention.h"
#include "engine/ops/cpu/window_attention.h"
#include "engine/ops/cuda/window_attention.h"
#include "engine/ops/dispatch.h"
#include "engine/ops/elementwise.h"
#include "engine/profile.h"
#include "kernels/attention.h"

namespace fovea {

namespace {

constexpr const char* kOp = "window_attention";

void check_arguments(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                     const Tensor& mask) {
  FOVEA_CHECK(q.defined() && k.defined() && v.defined(), "{}: q, k and v must all be defined", kOp);
  FOVEA_CHECK(q.dim() == 4 && k.shape() == q.shape() && v.shape() == q.shape(),
              "{}: expected q, k, v of one shape [B * nW, heads, N, D], got q {}, k {}, v {}", kOp,
              shape_str(q.shape()), shape_str(k.shape()), shape_str(v.shape()));
  const int64_t heads = q.size(1), tokens = q.size(2);
  const Shape bias_shape{heads, tokens, tokens};
  FOVEA_CHECK(!bias.defined() || bias.shape() == bias_shape,
              "{}: bias has shape {}, expected [heads, N, N] = [{}, {}, {}]", kOp,
              shape_str(bias.shape()), heads, tokens, tokens);
  if (mask.defined()) {
    FOVEA_CHECK(mask.dim() == 3 && mask.size(1) == tokens && mask.size(2) == tokens &&
                    mask.size(0) > 0 && q.size(0) % mask.size(0) == 0,
                "{}: mask has shape {}, expected [nW, N, N] with N = {} and nW dividing the "
                "{} windows of q",
                kOp, shape_str(mask.shape()), tokens, q.size(0));
    check_floating(mask, kOp, "mask");
  }
}

// The composition for windows the fused kernels do not take (on every device): with a mask, the
// window batch is split into [B, nW] so the mask broadcasts over images.
Tensor composed(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                const Tensor& mask, std::optional<double> scale, Tensor* probabilities) {
  AttentionOptions options;
  options.scale = scale;
  options.probabilities = probabilities;
  if (!mask.defined()) {
    options.bias = bias;
    return scaled_dot_product_attention(q, k, v, options);
  }
  const int64_t windows = mask.size(0), images = q.size(0) / windows;
  auto per_image = [&](const Tensor& t) {
    return t.reshape({images, windows, t.size(1), t.size(2), t.size(3)});
  };
  const Tensor constant_mask = mask.detach();
  options.bias = bias.defined() ? add(bias.unsqueeze(0), constant_mask.unsqueeze(1))
                                : constant_mask.unsqueeze(1);  // [nW, heads or 1, N, N]
  const Tensor out =
      scaled_dot_product_attention(per_image(q), per_image(k), per_image(v), options);
  if (probabilities) *probabilities = probabilities->flatten(0, 1);
  return out.flatten(0, 1);
}

}  // namespace

Tensor window_attention(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in,
                        const Tensor& bias, const Tensor& mask, std::optional<double> scale,
                        Tensor* probabilities) {
  const profile::OpScope scope("window_attention", q_in, k_in, v_in);
  check_arguments(q_in, k_in, v_in, bias, mask);
  const Device device = common_device(kOp, {&q_in, &k_in, &v_in, &bias, &mask});
  const bool fused =
      q_in.size(2) <= kernels::kMaxWindowTokens && q_in.size(3) <= kernels::kMaxWindowHeadDim;
  if (!fused) return composed(q_in, k_in, v_in, bias, mask, scale, probabilities);

  const Tensor q = autocast(q_in, AutocastPolicy::lower_precision);
  const Tensor k = autocast(k_in, AutocastPolicy::lower_precision);
  const Tensor v = autocast(v_in, AutocastPolicy::lower_precision);
  check_floating(q, kOp, "q");
  FOVEA_CHECK(k.dtype() == q.dtype() && v.dtype() == q.dtype(),
              "{}: q, k and v must have one dtype, got {}, {} and {}", kOp, dtype_name(q.dtype()),
              dtype_name(k.dtype()), dtype_name(v.dtype()));
  // The CPU kernels compute 16-bit floats in f32, the CUDA kernels natively.
  const DType dtype = q.dtype(), compute = device.is_cpu() ? cpu_compute_dtype(dtype) : dtype;
  // The bias takes the scores' dtype through a differentiable cast (as in
  // scaled_dot_product_attention), so its gradient arrives in its own dtype.
  const Tensor b = bias.defined() ? bias.to(dtype) : Tensor();
  const double s = scale.value_or(1.0 / std::sqrt(static_cast<double>(q.size(3))));
  // Q K^T and P V, as scaled_dot_product_attention counts them.
  count_macs(q.size(0) * q.size(1) * q.size(2) * q.size(2) * 2 * q.size(3));
  Tensor q_c, k_c, v_c, probs, out;
  {
    NoGradGuard no_grad;
    q_c = q.detach().to(compute).contiguous();
    k_c = k.detach().to(compute).contiguous();
    v_c = v.detach().to(compute).contiguous();
    const Tensor b_c = b.defined() ? b.detach().to(compute).contiguous() : Tensor();
    const Tensor m_c = mask.defined() ? mask.detach().to(compute).contiguous() : Tensor();
    TensorList result;
    switch (device.type) {
      case DeviceType::CPU:
        result = cpu::window_attention_forward(q_c, k_c, v_c, b_c, m_c, s);
        break;
      case DeviceType::CUDA:
        result = cuda::window_attention_forward(q_c, k_c, v_c, b_c, m_c, s);
        break;
    }
    probs = result[0];
    out = result[1].to(dtype);
    // A copy even when the dtype matches: probs is saved for backward.
    if (probabilities) *probabilities = compute == dtype ? probs.clone() : probs.to(dtype);
  }
  const int64_t windows = mask.defined() ? mask.size(0) : 1;
  record_op(kOp, {q, k, v, b}, {out},
            [q_c, k_c, v_c, probs, windows, s, dtype, compute](const BackwardContext& ctx) {
              const Tensor grad_out = ctx.grad().to(compute).contiguous();
              TensorList g;
              switch (grad_out.device().type) {
                case DeviceType::CPU:
                  g = cpu::window_attention_backward(q_c, k_c, v_c, probs, grad_out, windows, s,
                                                     ctx.needs_grad(0), ctx.needs_grad(1),
                                                     ctx.needs_grad(2), ctx.needs_grad(3));
                  break;
                case DeviceType::CUDA:
                  g = cuda::window_attention_backward(q_c, k_c, v_c, probs, grad_out, windows, s,
                                                      ctx.needs_grad(0), ctx.needs_grad(1),
                                                      ctx.needs_grad(2), ctx.needs_grad(3));
                  break;
              }
              for (Tensor& t : g) {
                if (t.defined()) t = t.to(dtype);
              }
              return g;
            });
  return out;
}

}  // namespace fovea
