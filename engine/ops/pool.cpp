// Pooling ops: argument checks, PyTorch's window rules (kernels/pool.h), the backward
// record, and one device switch into engine/ops/cpu/pool.cpp or engine/ops/cuda/pool.cpp.
#include "engine/ops/pool.h"

#include "engine/autograd.h"
#include "engine/ops/cpu/pool.h"
#include "engine/ops/cuda/pool.h"
#include "engine/ops/dispatch.h"
#include "engine/profile.h"
#include "kernels/pool.h"

namespace fovea {

namespace {

using kernels::PoolAxis;
using kernels::PoolShape;

struct PoolPlan {
  PoolShape shape;
  PoolAxis rows, cols;
};

void check_image(const Tensor& x, const char* op) {
  FOVEA_CHECK(x.dim() == 4, "{}: input must be a 4-D NHWC batch [N, H, W, C], got shape {}", op,
              shape_str(x.shape()));
  check_floating(x, op, "input");
}

PoolShape pool_shape(const Tensor& x, int64_t out_h, int64_t out_w) {
  return {.batch = x.size(0),
          .in_h = x.size(1),
          .in_w = x.size(2),
          .channels = x.size(3),
          .out_h = out_h,
          .out_w = out_w};
}

PoolPlan strided_plan(const char* op, const Tensor& x, std::array<int64_t, 2> kernel,
                      std::array<int64_t, 2> stride, std::array<int64_t, 2> padding, bool ceil_mode,
                      bool count_include_pad) {
  check_image(x, op);
  if (stride[0] == 0 && stride[1] == 0) stride = kernel;
  for (int d = 0; d < 2; ++d) {
    FOVEA_CHECK(kernel[d] >= 1 && stride[d] >= 1 && padding[d] >= 0,
                "{}: kernel and stride must be >= 1 and padding >= 0, got kernel {}, stride {}, "
                "padding {}",
                op, kernel, stride, padding);
    FOVEA_CHECK(padding[d] <= kernel[d] / 2,
                "{}: padding {} must be at most half the kernel {}, as in PyTorch", op, padding,
                kernel);
  }
  const int64_t in[2] = {x.size(1), x.size(2)};
  int64_t out[2];
  for (int d = 0; d < 2; ++d) {
    out[d] = kernels::pool_output_size(in[d], kernel[d], stride[d], padding[d], ceil_mode);
    FOVEA_CHECK(
        out[d] >= 1, "{}: kernel {} does not fit the padded input {}x{} (input {}, padding {})", op,
        kernel, in[0] + 2 * padding[0], in[1] + 2 * padding[1], shape_str(x.shape()), padding);
  }
  auto axis = [&](int d) {
    return PoolAxis{.in = in[d],
                    .out = out[d],
                    .kernel = kernel[d],
                    .stride = stride[d],
                    .pad = padding[d],
                    .adaptive = false,
                    .count_include_pad = count_include_pad};
  };
  return {pool_shape(x, out[0], out[1]), axis(0), axis(1)};
}

Tensor avg_pool_forward(const PoolPlan& plan, const Tensor& x) {
  NoGradGuard no_grad;
  switch (x.device().type) {
    case DeviceType::CPU:
      return cpu::avg_pool2d_forward(plan.shape, plan.rows, plan.cols, x);
    case DeviceType::CUDA:
      return cuda::avg_pool2d_forward(plan.shape, plan.rows, plan.cols, x);
  }
  fail("avg_pool2d: unknown device {}", x.device().str());
}

Tensor avg_pool_backward(const PoolPlan& plan, const Tensor& grad_y) {
  NoGradGuard no_grad;
  switch (grad_y.device().type) {
    case DeviceType::CPU:
      return cpu::avg_pool2d_backward(plan.shape, plan.rows, plan.cols, grad_y);
    case DeviceType::CUDA:
      return cuda::avg_pool2d_backward(plan.shape, plan.rows, plan.cols, grad_y);
  }
  fail("avg_pool2d backward: unknown device {}", grad_y.device().str());
}

Tensor avg_pool(const char* op, const Tensor& x, const PoolPlan& plan) {
  const Tensor y = avg_pool_forward(plan, x.detach());
  record_op(op, {x}, {y}, [plan](const BackwardContext& ctx) {
    return TensorList{avg_pool_backward(plan, ctx.grad())};
  });
  return y;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, std::array<int64_t, 2> kernel, std::array<int64_t, 2> stride,
                  std::array<int64_t, 2> padding, bool ceil_mode) {
  const profile::OpScope scope("max_pool2d", x);
  constexpr const char* op = "max_pool2d";
  const PoolPlan plan = strided_plan(op, x, kernel, stride, padding, ceil_mode, true);
  Tensor y, indices;
  {
    NoGradGuard no_grad;
    const Tensor xd = x.detach();
    switch (x.device().type) {
      case DeviceType::CPU:
        cpu::max_pool2d_forward(plan.shape, plan.rows, plan.cols, xd, y, indices);
        break;
      case DeviceType::CUDA:
        cuda::max_pool2d_forward(plan.shape, plan.rows, plan.cols, xd, y, indices);
        break;
    }
  }
  // Backward needs only where each maximum came from.
  record_op(op, {x}, {y}, [plan, indices](const BackwardContext& ctx) {
    NoGradGuard no_grad;
    const Tensor& g = ctx.grad();
    Tensor grad_x;
    switch (g.device().type) {
      case DeviceType::CPU:
        grad_x = cpu::max_pool2d_backward(plan.shape, plan.rows, plan.cols, g, indices);
        break;
      case DeviceType::CUDA:
        grad_x = cuda::max_pool2d_backward(plan.shape, plan.rows, plan.cols, g, indices);
        break;
    }
    return TensorList{grad_x};
  });
  return y;
}

Tensor avg_pool2d(const Tensor& x, std::array<int64_t, 2> kernel, std::array<int64_t, 2> stride,
                  std::array<int64_t, 2> padding, bool ceil_mode, bool count_include_pad) {
  const profile::OpScope scope("avg_pool2d", x);
  constexpr const char* op = "avg_pool2d";
  return avg_pool(op, x,
                  strided_plan(op, x, kernel, stride, padding, ceil_mode, count_include_pad));
}

Tensor adaptive_avg_pool2d(const Tensor& x, std::array<int64_t, 2> output_size) {
  const profile::OpScope scope("adaptive_avg_pool2d", x);
  constexpr const char* op = "adaptive_avg_pool2d";
  check_image(x, op);
  FOVEA_CHECK(output_size[0] >= 1 && output_size[1] >= 1 && x.size(1) >= 1 && x.size(2) >= 1,
              "{}: output size {} and the input's spatial size (input {}) must be >= 1", op,
              output_size, shape_str(x.shape()));
  const PoolPlan plan{pool_shape(x, output_size[0], output_size[1]),
                      PoolAxis{.in = x.size(1), .out = output_size[0], .adaptive = true},
                      PoolAxis{.in = x.size(2), .out = output_size[1], .adaptive = true}};
  return avg_pool(op, x, plan);
}

}  // namespace fovea
