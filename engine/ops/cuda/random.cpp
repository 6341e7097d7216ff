// The CUDA half of dropout and drop_path: dtype dispatch and launch on the input's stream,
// under its device.
#include "engine/ops/cuda/random.h"

#include "engine/ops/cuda/dispatch.h"
#include "engine/ops/cuda/storage.h"
#include "kernels/cuda/random.h"

namespace fovea::cuda {

Tensor apply_row_mask(const Tensor& x_in, int64_t rows, const kernels::RowMask& mask,
                      const char* op) {
  DeviceGuard guard(x_in.device().index);
  const Tensor x = x_in.contiguous();
  Tensor out = make_tensor(x.shape(), x.dtype(), x.device());
  const int64_t row_len = rows == 0 ? 0 : x.numel() / rows;
  visit_cuda_floating(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::apply_row_mask<T>(cuda_data<T>(x), cuda_data<T>(out), rows, row_len, mask,
                                     stream_for(x));
  });
  return out;
}

}  // namespace fovea::cuda
