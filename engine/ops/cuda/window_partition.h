#pragma once
// The host side of the CUDA window partition / reverse (kernels/cuda/window_partition.h).
#ifdef FOVEA_HAS_CUDA
#include "engine/tensor.h"
#include "kernels/window_partition.h"

namespace fovea {

// windows = the partition of x; x contiguous [B, H, W, C], windows a contiguous CUDA
// buffer of the windows' shape, both of one dtype and device.
void window_partition_cuda(const Tensor& x, const Tensor& windows,
                           const kernels::WindowPartitionShape& shape);
// x = the reverse of windows (contiguous).
void window_reverse_cuda(const Tensor& windows, const Tensor& x,
                         const kernels::WindowPartitionShape& shape);

}  // namespace fovea
#endif
