// Pooling ops: argument checks, PyTorch's window rules (kernels/pool.h), and backward.
#include "engine/ops/pool.h"

#include "engine/autograd.h"
#include "engine/ops/dispatch.h"
#include "kernels/pool.h"

#ifdef FOVEA_HAS_CUDA
#include "engine/ops/cuda/pool.h"
#endif

namespace fovea {

namespace {

using kernels::PoolShape;
using kernels::PoolWindows;

struct PoolPlan {
  PoolShape shape;
  PoolWindows rows, cols;
};

void check_image(const Tensor& x, const char* op) {
  FOVEA_CHECK(x.dim() == 4, "{}: input must be a 4-D NHWC batch [N, H, W, C], got shape {}", op,
              shape_str(x.shape()));
  check_floating(x, op, "input");
  if (!on_cuda(op, {&x})) check_cpu(op, {&x});
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
  return {
      pool_shape(x, out[0], out[1]),
      kernels::pool_windows(in[0], out[0], kernel[0], stride[0], padding[0], count_include_pad),
      kernels::pool_windows(in[1], out[1], kernel[1], stride[1], padding[1], count_include_pad)};
}

Shape input_shape(const PoolShape& s) {
  return {s.batch, s.in_h, s.in_w, s.channels};
}
Shape output_shape(const PoolShape& s) {
  return {s.batch, s.out_h, s.out_w, s.channels};
}

// `t` contiguous in the dtype the CPU kernels compute in, cut from the graph.
Tensor compute_operand(const Tensor& t) {
  NoGradGuard no_grad;
  return t.detach().to(cpu_compute_dtype(t.dtype())).contiguous();
}

Tensor narrowed(const Tensor& t, DType dtype) {
  NoGradGuard no_grad;
  return t.to(dtype);
}

Tensor avg_pool(const char* op, const Tensor& x, const PoolPlan& plan) {
#ifdef FOVEA_HAS_CUDA
  if (x.device().is_cuda()) {
    const Tensor y = avg_pool2d_forward_cuda(plan.shape, plan.rows, plan.cols, x.detach());
    record_op(op, {x}, {y}, [plan](const BackwardContext& ctx) {
      return TensorList{avg_pool2d_backward_cuda(plan.shape, plan.rows, plan.cols, ctx.grad())};
    });
    return y;
  }
#endif
  const Tensor xc = compute_operand(x);
  Tensor y = make_tensor(output_shape(plan.shape), xc.dtype(), x.device());
  visit_floating(xc.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::avg_pool2d_forward<T>(plan.shape, plan.rows, plan.cols, xc.data<T>(),
                                        y.data<T>());
  });
  y = narrowed(y, x.dtype());
  record_op(op, {x}, {y}, [plan, op, dtype = x.dtype()](const BackwardContext& ctx) {
    const Tensor g = compute_operand(ctx.grad());
    Tensor grad_x = make_tensor(input_shape(plan.shape), g.dtype(), g.device());
    visit_floating(g.dtype(), op, [&](auto tag) {
      using T = decltype(tag);
      kernels::cpu::avg_pool2d_backward<T>(plan.shape, plan.rows, plan.cols, g.data<T>(),
                                           grad_x.data<T>());
    });
    return TensorList{narrowed(grad_x, dtype)};
  });
  return y;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, std::array<int64_t, 2> kernel, std::array<int64_t, 2> stride,
                  std::array<int64_t, 2> padding, bool ceil_mode) {
  constexpr const char* op = "max_pool2d";
  const PoolPlan plan = strided_plan(op, x, kernel, stride, padding, ceil_mode, true);
#ifdef FOVEA_HAS_CUDA
  if (x.device().is_cuda()) {
    Tensor y, indices;
    max_pool2d_forward_cuda(plan.shape, plan.rows, plan.cols, x.detach(), y, indices);
    record_op(op, {x}, {y}, [plan, indices](const BackwardContext& ctx) {
      return TensorList{
          max_pool2d_backward_cuda(plan.shape, plan.rows, plan.cols, ctx.grad(), indices)};
    });
    return y;
  }
#endif
  const Tensor xc = compute_operand(x);
  Tensor y = make_tensor(output_shape(plan.shape), xc.dtype(), x.device());
  Tensor indices = make_tensor(output_shape(plan.shape), DType::i64, x.device());
  visit_floating(xc.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::max_pool2d_forward<T>(plan.shape, plan.rows, plan.cols, xc.data<T>(), y.data<T>(),
                                        indices.data<int64_t>());
  });
  y = narrowed(y, x.dtype());
  // Backward needs only where each maximum came from.
  record_op(op, {x}, {y},
            [shape = plan.shape, indices, dtype = x.dtype()](const BackwardContext& ctx) {
              const Tensor g = compute_operand(ctx.grad());
              Tensor grad_x = make_tensor(input_shape(shape), g.dtype(), g.device());
              visit_floating(g.dtype(), op, [&](auto tag) {
                using T = decltype(tag);
                kernels::cpu::max_pool2d_backward<T>(shape, g.data<T>(), indices.data<int64_t>(),
                                                     grad_x.data<T>());
              });
              return TensorList{narrowed(grad_x, dtype)};
            });
  return y;
}

Tensor avg_pool2d(const Tensor& x, std::array<int64_t, 2> kernel, std::array<int64_t, 2> stride,
                  std::array<int64_t, 2> padding, bool ceil_mode, bool count_include_pad) {
  constexpr const char* op = "avg_pool2d";
  return avg_pool(op, x,
                  strided_plan(op, x, kernel, stride, padding, ceil_mode, count_include_pad));
}

Tensor adaptive_avg_pool2d(const Tensor& x, std::array<int64_t, 2> output_size) {
  constexpr const char* op = "adaptive_avg_pool2d";
  check_image(x, op);
  FOVEA_CHECK(output_size[0] >= 1 && output_size[1] >= 1 && x.size(1) >= 1 && x.size(2) >= 1,
              "{}: output size {} and the input's spatial size (input {}) must be >= 1", op,
              output_size, shape_str(x.shape()));
  const PoolPlan plan{pool_shape(x, output_size[0], output_size[1]),
                      kernels::adaptive_pool_windows(x.size(1), output_size[0]),
                      kernels::adaptive_pool_windows(x.size(2), output_size[1])};
  return avg_pool(op, x, plan);
}

}  // namespace fovea
