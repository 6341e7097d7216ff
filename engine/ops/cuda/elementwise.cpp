// The CUDA half of the elementwise ops: loop geometry from the tensors, dtype dispatch,
// launch on the tensor's stream, under the tensor's device.
#include "engine/ops/cuda/elementwise.h"

#include "engine/autograd.h"
#include "engine/ops/cuda/dispatch.h"
#include "engine/ops/cuda/storage.h"
#include "engine/ops/loops.h"
#include "kernels/cuda/elementwise.h"

namespace fovea::cuda {

void binary(kernels::BinaryOp op, Tensor& out, const Tensor& a, const Tensor& b, const char* name) {
  DeviceGuard guard(out.device().index);
  const kernels::Loop<3> loop = loop_over<3>(out.shape(), {&out, &a, &b});
  visit_cuda_storage(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, uint8_t> || std::is_same_v<T, bool>) {
      fail("{}: CUDA arithmetic takes floating, i32 or i64 tensors, got {}", name,
           dtype_name(out.dtype()));
    } else {
      kernels::cuda::binary<T>(op, loop, cuda_data<T>(out), cuda_data<T>(a), cuda_data<T>(b),
                               stream_for(out));
    }
  });
}

Tensor unary(kernels::UnaryOp op, kernels::UnaryParams params, const Tensor& x) {
  DeviceGuard guard(x.device().index);
  const char* name = kernels::unary_op_name(op);
  Tensor out = make_tensor(x.shape(), x.dtype(), x.device());
  const kernels::Loop<2> loop = loop_over<2>(x.shape(), {&out, &x});
  visit_cuda_floating(x.dtype(), name, [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::unary<T>(op, params, loop, cuda_data<T>(out), cuda_data<T>(x), stream_for(x));
  });
  return out;
}

Tensor unary_backward(kernels::UnaryOp op, kernels::UnaryParams params, const Tensor& grad_y,
                      const Tensor& x) {
  DeviceGuard guard(x.device().index);
  const char* name = kernels::unary_op_name(op);
  NoGradGuard no_grad;
  const Tensor gy = grad_y.to(x.dtype());
  Tensor grad_x = make_tensor(x.shape(), x.dtype(), x.device());
  const kernels::Loop<3> loop = loop_over<3>(x.shape(), {&grad_x, &gy, &x});
  visit_cuda_floating(x.dtype(), name, [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::unary_backward<T>(op, params, loop, cuda_data<T>(grad_x), cuda_data<T>(gy),
                                     cuda_data<T>(x), stream_for(x));
  });
  return grad_x;
}

Tensor compare(kernels::CompareOp op, const Tensor& a, const Tensor& b, const char* name) {
  DeviceGuard guard(a.device().index);
  Tensor out =
      make_tensor(broadcast_shapes(a.shape(), b.shape(), name), DType::boolean, a.device());
  const kernels::Loop<3> loop = loop_over<3>(out.shape(), {&out, &a, &b});
  visit_cuda_storage(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::compare<T>(op, loop, cuda_data<bool>(out), cuda_data<T>(a), cuda_data<T>(b),
                              stream_for(a));
  });
  return out;
}

void where(Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  DeviceGuard guard(out.device().index);
  const kernels::Loop<4> loop = loop_over<4>(out.shape(), {&out, &cond, &a, &b});
  visit_cuda_storage(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::where<T>(loop, cuda_data<T>(out), cuda_data<bool>(cond), cuda_data<T>(a),
                            cuda_data<T>(b), stream_for(out));
  });
}

}  // namespace fovea::cuda
