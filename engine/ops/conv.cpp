// conv2d: argument checks, the dense/depthwise kernel switch, and the backward.
#include "engine/ops/conv.h"

#include "engine/autocast.h"
#include "engine/autograd.h"
#include "engine/ops/dispatch.h"
#include "engine/ops/reduction.h"
#include "engine/profile.h"
#include "kernels/conv.h"

#ifdef FOVEA_HAS_CUDA
#include "engine/ops/cuda/conv.h"
#endif

namespace fovea {

namespace {

using kernels::Conv2dShape;

constexpr const char* kOp = "conv2d";

// Checks every argument and returns the geometry the kernels need.
Conv2dShape conv_shape(const Tensor& x, const Tensor& w, const Tensor& bias,
                       const Conv2dOptions& o) {
  FOVEA_CHECK(x.dim() == 4, "conv2d: input must be a 4-D NHWC batch [N, H, W, C], got shape {}",
              shape_str(x.shape()));
  FOVEA_CHECK(w.dim() == 4, "conv2d: weight must be 4-D [Cout, kh, kw, Cin/groups], got shape {}",
              shape_str(w.shape()));
  check_floating(x, kOp, "input");
  FOVEA_CHECK(w.dtype() == x.dtype() && (!bias.defined() || bias.dtype() == x.dtype()),
              "conv2d: input, weight and bias must share one dtype, got {}, {} and {}",
              dtype_name(x.dtype()), dtype_name(w.dtype()),
              bias.defined() ? dtype_name(bias.dtype()) : "no bias");
  for (int d = 0; d < 2; ++d) {
    FOVEA_CHECK(o.stride[d] >= 1 && o.dilation[d] >= 1 && o.padding[d] >= 0,
                "conv2d: stride and dilation must be >= 1 and padding >= 0, got stride {}, "
                "dilation {}, padding {}",
                o.stride, o.dilation, o.padding);
  }
  const int64_t cin = x.size(3), cout = w.size(0);
  FOVEA_CHECK(o.groups >= 1 && cin % o.groups == 0 && cout % o.groups == 0,
              "conv2d: groups {} must divide both the input's {} channels (input {}) and the "
              "weight's {} output channels (weight {})",
              o.groups, cin, shape_str(x.shape()), cout, shape_str(w.shape()));
  const int64_t expected = w.size(3) * o.groups;
  if (cin != expected) {
    const bool looks_nchw = x.size(1) == expected;
    fail("conv2d: input {} has {} channels but weight {} expects {} (groups {}){}",
         shape_str(x.shape()), cin, shape_str(w.shape()), expected, o.groups,
         looks_nchw ? "; the input looks NCHW, but fovea images are NHWC [N, H, W, C]" : "");
  }
  if (bias.defined()) {
    FOVEA_CHECK(bias.dim() == 1 && bias.size(0) == cout,
                "conv2d: bias must have shape [{}] to match weight {}, got {}", cout,
                shape_str(w.shape()), shape_str(bias.shape()));
  }
  Conv2dShape s;
  s.batch = x.size(0);
  s.in_h = x.size(1);
  s.in_w = x.size(2);
  s.in_channels = cin;
  s.out_channels = cout;
  s.kernel_h = w.size(1);
  s.kernel_w = w.size(2);
  s.stride_h = o.stride[0];
  s.stride_w = o.stride[1];
  s.pad_h = o.padding[0];
  s.pad_w = o.padding[1];
  s.dilation_h = o.dilation[0];
  s.dilation_w = o.dilation[1];
  s.groups = o.groups;
  s.out_h = kernels::conv_output_size(s.in_h, s.kernel_h, s.stride_h, s.pad_h, s.dilation_h);
  s.out_w = kernels::conv_output_size(s.in_w, s.kernel_w, s.stride_w, s.pad_w, s.dilation_w);
  FOVEA_CHECK(s.kernel_h >= 1 && s.kernel_w >= 1 && s.out_h >= 1 && s.out_w >= 1,
              "conv2d: kernel {}x{} (dilation {}x{}) does not fit the padded input {}x{} "
              "(input {}, padding {}x{})",
              s.kernel_h, s.kernel_w, s.dilation_h, s.dilation_w, s.in_h + 2 * s.pad_h,
              s.in_w + 2 * s.pad_w, shape_str(x.shape()), s.pad_h, s.pad_w);
  return s;
}

// `t` as a contiguous tensor of the compute dtype, cut from the graph.
Tensor compute_operand(const Tensor& t, DType compute) {
  if (!t.defined()) return t;
  NoGradGuard no_grad;
  return t.detach().to(compute).contiguous();
}

// `t` (computed in a wider dtype) rounded back to `dtype`.
Tensor narrowed(const Tensor& t, DType dtype) {
  NoGradGuard no_grad;
  return t.to(dtype);
}

Tensor forward_raw(const Conv2dShape& s, const Tensor& x, const Tensor& w, const Tensor& bias) {
#ifdef FOVEA_HAS_CUDA
  if (on_cuda(kOp, {&x, &w, &bias})) return conv2d_forward_cuda(s, x, w, bias);
#endif
  check_cpu(kOp, {&x, &w, &bias});
  const DType compute = cpu_compute_dtype(x.dtype());
  const Tensor xc = compute_operand(x, compute), wc = compute_operand(w, compute);
  const Tensor bc = compute_operand(bias, compute);
  Tensor y = make_tensor({s.batch, s.out_h, s.out_w, s.out_channels}, compute, x.device());
  visit_floating(compute, kOp, [&](auto tag) {
    using T = decltype(tag);
    const T* b = bc.defined() ? bc.data<T>() : nullptr;
    if (s.depthwise()) {
      kernels::cpu::depthwise_conv2d_forward<T>(s, xc.data<T>(), wc.data<T>(), b, y.data<T>());
    } else {
      kernels::cpu::conv2d_forward<T>(s, xc.data<T>(), wc.data<T>(), b, y.data<T>());
    }
  });
  return narrowed(y, x.dtype());
}

Tensor backward_data_raw(const Conv2dShape& s, const Tensor& grad_y, const Tensor& w, DType dtype) {
#ifdef FOVEA_HAS_CUDA
  if (on_cuda(kOp, {&grad_y, &w})) return conv2d_backward_data_cuda(s, grad_y, w, dtype);
#endif
  check_cpu(kOp, {&grad_y, &w});
  const DType compute = cpu_compute_dtype(dtype);
  const Tensor gc = compute_operand(grad_y, compute), wc = compute_operand(w, compute);
  Tensor grad_x = make_tensor({s.batch, s.in_h, s.in_w, s.in_channels}, compute, w.device());
  visit_floating(compute, kOp, [&](auto tag) {
    using T = decltype(tag);
    if (s.depthwise()) {
      kernels::cpu::depthwise_conv2d_backward_data<T>(s, gc.data<T>(), wc.data<T>(),
                                                      grad_x.data<T>());
    } else {
      kernels::cpu::conv2d_backward_data<T>(s, gc.data<T>(), wc.data<T>(), grad_x.data<T>());
    }
  });
  return narrowed(grad_x, dtype);
}

Tensor backward_weight_raw(const Conv2dShape& s, const Tensor& grad_y, const Tensor& x,
                           DType dtype) {
#ifdef FOVEA_HAS_CUDA
  if (on_cuda(kOp, {&grad_y, &x})) return conv2d_backward_weight_cuda(s, grad_y, x, dtype);
#endif
  check_cpu(kOp, {&grad_y, &x});
  const DType compute = cpu_compute_dtype(dtype);
  const Tensor gc = compute_operand(grad_y, compute), xc = compute_operand(x, compute);
  Tensor grad_w =
      make_tensor({s.out_channels, s.kernel_h, s.kernel_w, s.group_in()}, compute, x.device());
  visit_floating(compute, kOp, [&](auto tag) {
    using T = decltype(tag);
    if (s.depthwise()) {
      kernels::cpu::depthwise_conv2d_backward_weight<T>(s, gc.data<T>(), xc.data<T>(),
                                                        grad_w.data<T>());
    } else {
      kernels::cpu::conv2d_backward_weight<T>(s, gc.data<T>(), xc.data<T>(), grad_w.data<T>());
    }
  });
  return narrowed(grad_w, dtype);
}

}  // namespace

Tensor conv2d(const Tensor& x_in, const Tensor& weight_in, const Tensor& bias_in,
              const Conv2dOptions& options) {
  const Tensor x = autocast(x_in, AutocastPolicy::lower_precision);
  const Tensor weight = autocast(weight_in, AutocastPolicy::lower_precision);
  const Tensor bias = autocast(bias_in, AutocastPolicy::lower_precision);
  common_device(kOp, {&x, &weight, &bias});
  const Conv2dShape shape = conv_shape(x, weight, bias, options);
  count_macs(shape.batch * shape.out_h * shape.out_w * shape.out_channels * shape.kernel_h *
             shape.kernel_w * shape.group_in());
  Tensor y = forward_raw(shape, x, weight, bias);
  if (!should_record({x, weight, bias})) return y;

  // Save only what the wanted gradients read: x for the weight's, the weight for x's.
  const Tensor saved_x = weight.requires_grad() ? x.detach() : Tensor();
  const Tensor saved_w = x.requires_grad() ? weight.detach() : Tensor();
  const DType dtype = x.dtype();
  record_op(kOp, {x, weight, bias}, {y},
            [shape, saved_x, saved_w, dtype](const BackwardContext& ctx) -> TensorList {
              const Tensor& g = ctx.grad();
              TensorList grads(3);
              if (ctx.needs_grad(0)) grads[0] = backward_data_raw(shape, g, saved_w, dtype);
              if (ctx.needs_grad(1)) grads[1] = backward_weight_raw(shape, g, saved_x, dtype);
              if (ctx.needs_grad(2)) {
                NoGradGuard no_grad;
                grads[2] = sum(g, {0, 1, 2}).to(dtype);
              }
              return grads;
            });
  return y;
}

}  // namespace fovea
