#pragma once
// CUDA launchers for Swin's window partition and reverse with the cyclic shift folded in
// (kernels/window_partition.h has the math and the geometry). Pure data movement of
// `elem_size`-byte elements of any dtype, 16 bytes per access when the channel row and
// both pointers allow. Each enqueues on `stream` and checks the launch.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/window_partition.h"

namespace fovea::kernels::cuda {

void window_partition(const void* x, void* windows, const WindowPartitionShape& shape,
                      int64_t elem_size, cudaStream_t stream);
void window_reverse(const void* windows, void* x, const WindowPartitionShape& shape,
                    int64_t elem_size, cudaStream_t stream);

}  // namespace fovea::kernels::cuda
