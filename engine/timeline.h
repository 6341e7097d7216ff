#pragma once
// Named spans on a profiler's timeline (Nsight Systems, through NVTX): every module's
// forward and every autograd node's backward opens one, so that a trace reads like the
// model. Without a profiler attached an NVTX range costs a few nanoseconds; in the
// CPU-only build the push and pop do nothing.
#include "engine/cuda_backend.h"

namespace fovea {

class TimelineRange {
 public:
  explicit TimelineRange(const char* name) { cuda::timeline_push(name); }
  ~TimelineRange() { cuda::timeline_pop(); }
  TimelineRange(const TimelineRange&) = delete;
  TimelineRange& operator=(const TimelineRange&) = delete;
};

}  // namespace fovea
