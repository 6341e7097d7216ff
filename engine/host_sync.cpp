#include "engine/host_sync.h"

namespace fovea {

namespace {

// Per thread: the data loader's threads read host tensors without stalling any device,
// and the trainer's count must not see them.
thread_local int64_t sync_count = 0;
thread_local int depth = 0;

}  // namespace

int64_t host_sync_count() {
  return sync_count;
}

HostSyncScope::HostSyncScope() {
  if (depth++ == 0) ++sync_count;
}

HostSyncScope::~HostSyncScope() {
  --depth;
}

}  // namespace fovea
