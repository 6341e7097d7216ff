// conv2d: argument checks, autocast, the device switch into the CPU and CUDA halves
// (engine/ops/cpu/conv.h, engine/ops/cuda/conv.h), and the backward.
#include "engine/ops/conv.h"

#include "engine/autocast.h"
#include "engine/autograd.h"
#include "engine/ops/cpu/conv.h"
#include "engine/ops/cuda/conv.h"
#include "engine/ops/dispatch.h"
#include "engine/ops/reduction.h"
#include "engine/profile.h"
#include "kernels/conv.h"

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

// The forward's multiply-adds; backward-data and backward-weight each do as many.
int64_t macs_of(const Conv2dShape& s) {
  return s.batch * s.out_h * s.out_w * s.out_channels * s.kernel_h * s.kernel_w * s.group_in();
}

Tensor forward_raw(const Conv2dShape& s, const Tensor& x, const Tensor& w, const Tensor& bias) {
  switch (common_device(kOp, {&x, &w, &bias}).type) {
    case DeviceType::CPU:
      return cpu::conv2d_forward(s, x, w, bias);
    case DeviceType::CUDA:
      return cuda::conv2d_forward(s, x, w, bias);
  }
  fail("conv2d: unknown device");
}

Tensor backward_data_raw(const Conv2dShape& s, const Tensor& grad_y, const Tensor& w, DType dtype) {
  count_macs(macs_of(s));
  switch (common_device(kOp, {&grad_y, &w}).type) {
    case DeviceType::CPU:
      return cpu::conv2d_backward_data(s, grad_y, w, dtype);
    case DeviceType::CUDA:
      return cuda::conv2d_backward_data(s, grad_y, w, dtype);
  }
  fail("conv2d: unknown device");
}

Tensor backward_weight_raw(const Conv2dShape& s, const Tensor& grad_y, const Tensor& x,
                           DType dtype) {
  count_macs(macs_of(s));
  switch (common_device(kOp, {&grad_y, &x}).type) {
    case DeviceType::CPU:
      return cpu::conv2d_backward_weight(s, grad_y, x, dtype);
    case DeviceType::CUDA:
      return cuda::conv2d_backward_weight(s, grad_y, x, dtype);
  }
  fail("conv2d: unknown device");
}

}  // namespace

Tensor conv2d(const Tensor& x_in, const Tensor& weight_in, const Tensor& bias_in,
              const Conv2dOptions& options) {
  const profile::OpScope scope(kOp, x_in, weight_in, bias_in);
  const Tensor x = autocast(x_in, AutocastPolicy::lower_precision);
  const Tensor weight = autocast(weight_in, AutocastPolicy::lower_precision);
  const Tensor bias = autocast(bias_in, AutocastPolicy::lower_precision);
  common_device(kOp, {&x, &weight, &bias});
  const Conv2dShape shape = conv_shape(x, weight, bias, options);
  count_macs(macs_of(shape));
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
