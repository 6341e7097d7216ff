#pragma once
// Counts the calls that make the host wait for a device: item(), to_vector() and any
// device-to-host copy. On the CPU nothing waits, but the same calls are counted, so a
// CPU-only test can show how often a training step would stall a GPU (the trainer
// records the most per optimizer step in metrics.json: max_host_syncs_per_step).
#include <cstdint>

namespace fovea {

// The host synchronisations this thread has made since it started.
int64_t host_sync_count();

// Counts one host synchronisation for its lifetime; nested scopes (item() reading through
// a device-to-host copy) count once.
class HostSyncScope {
 public:
  HostSyncScope();
  ~HostSyncScope();
  HostSyncScope(const HostSyncScope&) = delete;
  HostSyncScope& operator=(const HostSyncScope&) = delete;
};

}  // namespace fovea
