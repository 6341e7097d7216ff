// Host side of the CUDA window partition / reverse: raw bytes to the launchers, which
// pick the vector width.
#include "engine/ops/cuda/window_partition.h"

#include "engine/ops/cuda/dispatch.h"
#include "kernels/cuda/window_partition.h"

namespace fovea {

void window_partition_cuda(const Tensor& x, const Tensor& windows,
                           const kernels::WindowPartitionShape& shape) {
  kernels::cuda::window_partition(x.raw_data(), windows.raw_data(), shape,
                                  static_cast<int64_t>(dtype_size(x.dtype())), stream_for(x));
}

void window_reverse_cuda(const Tensor& windows, const Tensor& x,
                         const kernels::WindowPartitionShape& shape) {
  kernels::cuda::window_reverse(windows.raw_data(), x.raw_data(), shape,
                                static_cast<int64_t>(dtype_size(windows.dtype())),
                                stream_for(windows));
}

}  // namespace fovea
