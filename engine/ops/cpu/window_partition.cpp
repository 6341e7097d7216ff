// The CPU half of window_partition / window_reverse: raw bytes to the kernels.
#include "engine/ops/cpu/window_partition.h"

namespace fovea::cpu {

void window_partition(const Tensor& x, const Tensor& windows,
                      const kernels::WindowPartitionShape& shape) {
  kernels::cpu::window_partition(x.raw_data(), windows.raw_data(), shape,
                                 static_cast<int64_t>(dtype_size(x.dtype())));
}

void window_reverse(const Tensor& windows, const Tensor& x,
                    const kernels::WindowPartitionShape& shape) {
  kernels::cpu::window_reverse(windows.raw_data(), x.raw_data(), shape,
                               static_cast<int64_t>(dtype_size(windows.dtype())));
}

}  // namespace fovea::cpu
