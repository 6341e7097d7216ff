// Host side of the CUDA softmax: device guard and dtype dispatch around
// kernels/cuda/softmax.h.
#include "engine/ops/cuda/softmax.h"

#include "engine/ops/cuda/dispatch.h"
#include "kernels/cuda/softmax.h"

namespace fovea::cuda {

void softmax_forward(const kernels::SoftmaxShape& shape, bool log, const Tensor& x,
                     const Tensor& y) {
  DeviceGuard guard(x.device().index);
  visit_cuda_floating(x.dtype(), log ? "log_softmax" : "softmax", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::softmax_forward<T>(shape, log, static_cast<const T*>(x.raw_data()),
                                      static_cast<T*>(y.raw_data()), stream_for(x));
  });
}

void softmax_backward(const kernels::SoftmaxShape& shape, bool log, const Tensor& y,
                      const Tensor& dy, const Tensor& dx) {
  DeviceGuard guard(y.device().index);
  visit_cuda_floating(y.dtype(), log ? "log_softmax backward" : "softmax backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::softmax_backward<T>(shape, log, static_cast<const T*>(y.raw_data()),
                                       static_cast<const T*>(dy.raw_data()),
                                       static_cast<T*>(dx.raw_data()), stream_for(y));
  });
}

}  // namespace fovea::cuda
