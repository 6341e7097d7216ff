// The CUDA half of the reductions: workspace, dtype dispatch, launch on the input's stream
// under its device.
#include "engine/ops/cuda/reduction.h"

#include "engine/ops/cuda/dispatch.h"
#include "engine/ops/cuda/storage.h"
#include "engine/ops/dispatch.h"
#include "kernels/cuda/reduce.h"

namespace fovea::cuda {

namespace {

// Device scratch of at least `bytes` (8-byte aligned), or an undefined tensor for none.
Tensor scratch(int64_t bytes, Device device) {
  if (bytes == 0) return Tensor();
  return make_tensor({(bytes + 7) / 8}, DType::i64, device);
}

}  // namespace

void reduce(kernels::ReduceOp op, const Tensor& in, Tensor& out, int64_t outer, int64_t reduce_len,
            int64_t inner, const char* name) {
  DeviceGuard guard(in.device().index);
  const Tensor workspace =
      scratch(kernels::cuda::reduce_workspace_bytes(outer, reduce_len, inner), in.device());
  if (in.dtype() == DType::i64) {
    kernels::cuda::reduce<int64_t>(op, cuda_data<int64_t>(in), cuda_data<int64_t>(out), outer,
                                   reduce_len, inner, data_or_null<void>(workspace),
                                   stream_for(in));
    return;
  }
  visit_cuda_floating(in.dtype(), name, [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::reduce<T>(op, cuda_data<T>(in), cuda_data<T>(out), outer, reduce_len, inner,
                             data_or_null<void>(workspace), stream_for(in));
  });
}

void variance(const Tensor& in, Tensor& out, int64_t outer, int64_t reduce_len, int64_t inner,
              int64_t correction) {
  DeviceGuard guard(in.device().index);
  const Tensor workspace =
      scratch(kernels::cuda::variance_workspace_bytes(outer, reduce_len, inner), in.device());
  visit_cuda_floating(in.dtype(), "var", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::variance<T>(cuda_data<T>(in), cuda_data<T>(out), outer, reduce_len, inner,
                               correction, data_or_null<void>(workspace), stream_for(in));
  });
}

void max_along(const Tensor& in, Tensor& values, Tensor& indices, int64_t outer, int64_t reduce_len,
               int64_t inner) {
  DeviceGuard guard(in.device().index);
  if (in.dtype() == DType::i64) {
    kernels::cuda::max_along<int64_t>(cuda_data<int64_t>(in), cuda_data<int64_t>(values),
                                      cuda_data<int64_t>(indices), outer, reduce_len, inner,
                                      stream_for(in));
    return;
  }
  visit_cuda_floating(in.dtype(), "max", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::max_along<T>(cuda_data<T>(in), cuda_data<T>(values), cuda_data<int64_t>(indices),
                                outer, reduce_len, inner, stream_for(in));
  });
}

Tensor scatter_along(const Tensor& values_in, const Tensor& indices_in, const Shape& in_shape,
                     int64_t outer, int64_t reduce_len, int64_t inner) {
  DeviceGuard guard(values_in.device().index);
  const Tensor values = values_in.contiguous(), indices = indices_in.contiguous();
  Tensor out = make_tensor(in_shape, values.dtype(), values.device());
  visit_cuda_floating(values.dtype(), "max backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::scatter_along<T>(cuda_data<T>(values), cuda_data<int64_t>(indices),
                                    cuda_data<T>(out), outer, reduce_len, inner,
                                    stream_for(values));
  });
  return out;
}

}  // namespace fovea::cuda
