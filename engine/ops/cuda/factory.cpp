// The CUDA half of the computed factories: allocation and launch on the device's stream,
// under that device.
#include "engine/ops/cuda/factory.h"

#include "engine/ops/cuda/dispatch.h"
#include "engine/ops/cuda/storage.h"
#include "kernels/cuda/random.h"

namespace fovea::cuda {

Tensor uniform(const Shape& shape, RngState state, Device device) {
  DeviceGuard guard(device.index);
  Tensor out = make_tensor(shape, DType::f32, device);
  kernels::cuda::fill_uniform(cuda_data<float>(out), out.numel(), state.seed, state.offset,
                              stream_for(out));
  return out;
}

Tensor normal(const Shape& shape, RngState state, Device device) {
  DeviceGuard guard(device.index);
  Tensor out = make_tensor(shape, DType::f32, device);
  kernels::cuda::fill_normal(cuda_data<float>(out), out.numel(), state.seed, state.offset,
                             stream_for(out));
  return out;
}

Tensor arange(int64_t n, double start, double step, Device device) {
  DeviceGuard guard(device.index);
  Tensor out = make_tensor({n}, DType::f64, device);
  kernels::cuda::fill_arange(cuda_data<double>(out), n, start, step, stream_for(out));
  return out;
}

}  // namespace fovea::cuda
