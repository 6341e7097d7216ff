// Host side of the CUDA factories and masks: allocation, dtype dispatch, launch.
#include "engine/ops/cuda/random.h"

#include "engine/ops/cuda/dispatch.h"
#include "engine/ops/cuda/storage.h"
#include "kernels/cuda/random.h"

namespace fovea {

Tensor uniform_cuda(const Shape& shape, RngState state, Device device) {
  Tensor out = make_tensor(shape, DType::f32, device);
  kernels::cuda::fill_uniform(cuda_data<float>(out), out.numel(), state.seed, state.offset,
                              stream_for(out));
  return out;
}

Tensor normal_cuda(const Shape& shape, RngState state, Device device) {
  Tensor out = make_tensor(shape, DType::f32, device);
  kernels::cuda::fill_normal(cuda_data<float>(out), out.numel(), state.seed, state.offset,
                             stream_for(out));
  return out;
}

Tensor arange_cuda(int64_t n, double start, double step, Device device) {
  Tensor out = make_tensor({n}, DType::f64, device);
  kernels::cuda::fill_arange(cuda_data<double>(out), n, start, step, stream_for(out));
  return out;
}

Tensor apply_row_mask_cuda(const Tensor& x, int64_t rows, const kernels::RowMask& mask,
                           const char* op) {
  Tensor out = make_tensor(x.shape(), x.dtype(), x.device());
  const int64_t row_len = rows == 0 ? 0 : x.numel() / rows;
  visit_cuda_floating(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::apply_row_mask<T>(cuda_data<T>(x), cuda_data<T>(out), rows, row_len, mask,
                                     stream_for(x));
  });
  return out;
}

}  // namespace fovea
