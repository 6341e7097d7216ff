#pragma once
// Named spans on a profiler's timeline (Nsight Systems, through NVTX): every module's
// forward and every autograd node's backward opens one, so that a trace reads like the
// model. Without a profiler attached an NVTX range costs a few nanoseconds; the CPU-only
// build compiles them away.
#ifdef FOVEA_HAS_CUDA
#include "engine/cuda_runtime.h"

namespace fovea {
using TimelineRange = cuda::NvtxRange;
}  // namespace fovea
#else
namespace fovea {
struct TimelineRange {
  explicit TimelineRange(const char* /*name*/) {}
};
}  // namespace fovea
#endif
