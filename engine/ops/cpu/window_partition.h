#pragma once
// The CPU half of window_partition / window_reverse (engine/ops/window_partition.cpp):
// byte gathers of kernels/cpu/window_partition.cpp, for any dtype.
#include "engine/tensor.h"
#include "kernels/window_partition.h"

namespace fovea::cpu {

// windows = the partition of x; x contiguous [B, H, W, C], windows a contiguous buffer of
// the windows' shape, both of one dtype and device.
void window_partition(const Tensor& x, const Tensor& windows,
                      const kernels::WindowPartitionShape& shape);
// x = the reverse of windows (contiguous).
void window_reverse(const Tensor& windows, const Tensor& x,
                    const kernels::WindowPartitionShape& shape);

}  // namespace fovea::cpu
