#pragma once
// Multiply-accumulate counting. The ops that dominate a network's cost (conv2d, linear,
// matmul, attention) add their MACs to a thread-local counter, so `fovea summary` can
// report GMACs per layer the way timm's profiling (fvcore) counts them.
#include <cstdint>

namespace fovea {

void count_macs(int64_t macs);
int64_t macs_counted();  // since the thread started; take differences

}  // namespace fovea
