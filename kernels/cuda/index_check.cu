// The index range check of index_select, embedding, gather and the class-index losses on
// the device
// (kernels/cuda/index_check.h).
//
// Design: a thread per index compares it with [0, size); a bad one prints the op, the
// index and the size (device printf, flushed at the next synchronisation) and traps,
// which fails the launch and leaves the stream's context in error, as a device-side
// assert does. The CPU check it replaces downloaded the whole index on every call: a
// blocking device-to-host copy in each of Swin's 12 relative-position-bias lookups per
// forward.
//
// Roofline (H200, 4.8 TB/s): reads count * 8 bytes once and writes nothing: Swin-T's
// 2,401 indices are 19 KB, one launch of about 2 us, latency-bound and asynchronous.
#include "kernels/cuda/index_check.h"

#include <cstdio>

#include "kernels/cuda/check.h"
#include "kernels/cuda/device_helpers.cuh"

namespace fovea::kernels::cuda {

namespace {

using detail::kThreads;

__global__ void check_index_range_kernel(const int64_t* __restrict__ index, int64_t count,
                                         int64_t size, IndexCheckLabel label) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < count;
       k += stride) {
    const int64_t value = index[k];
    if ((value < 0 || value >= size) && !(label.has_ignore && value == label.ignore_index)) {
      printf("fovea: %s: index %lld is out of range for dim %lld of size %lld\n", label.op,
             static_cast<long long>(value), static_cast<long long>(label.dim),
             static_cast<long long>(size));
      __trap();
    }
  }
}

}  // namespace

void check_index_range(const int64_t* index, int64_t count, int64_t size,
                       const IndexCheckLabel& label, cudaStream_t stream) {
  if (count == 0) return;
  check_index_range_kernel<<<detail::grid_stride_blocks(count), kThreads, 0, stream>>>(index, count,
                                                                                       size, label);
  ::fovea::check_launch("check_index_range_kernel");
}

}  // namespace fovea::kernels::cuda
