#include "engine/profile.h"

namespace fovea {

namespace {
thread_local int64_t tls_macs = 0;
}

void count_macs(int64_t macs) { tls_macs += macs; }
int64_t macs_counted() { return tls_macs; }

}  // namespace fovea
