#pragma once
// Multiply-accumulate counting. The ops fvcore counts (conv2d, linear, matmul, attention,
// and the norms at its per-element rates) add their MACs to a thread-local counter, so
// `fovea summary` reports GMACs per layer the way timm's published numbers count them.
#include <cstdint>

namespace fovea {

void count_macs(int64_t macs);
int64_t macs_counted();  // since the thread started; take differences

}  // namespace fovea
