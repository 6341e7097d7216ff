// The CUDA half of window_partition / window_reverse: raw bytes to the launchers, which
// pick the vector width.
#include "engine/ops/cuda/window_partition.h"

#include "engine/ops/cuda/dispatch.h"
#include "kernels/cuda/window_partition.h"

namespace fovea::cuda {

void window_partition(const Tensor& x, const Tensor& windows,
                      const kernels::WindowPartitionShape& shape) {
  DeviceGuard guard(x.device().index);
  kernels::cuda::window_partition(x.raw_data(), windows.raw_data(), shape,
                                  static_cast<int64_t>(dtype_size(x.dtype())), stream_for(x));
}

void window_reverse(const Tensor& windows, const Tensor& x,
                    const kernels::WindowPartitionShape& shape) {
  DeviceGuard guard(windows.device().index);
  kernels::cuda::window_reverse(windows.raw_data(), x.raw_data(), shape,
                                static_cast<int64_t>(dtype_size(windows.dtype())),
                                stream_for(windows));
}

}  // namespace fovea::cuda
