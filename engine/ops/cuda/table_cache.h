#pragma once
// Small read-only tables a CUDA op needs on the device (interpolation's taps), uploaded
// once per key and device and reused by every later call of that shape.
//
// Why a cache: the tables are built on the host (by the CPU's own code, so both devices
// use the same numbers to the bit) and a from_blob upload from pageable memory is a
// blocking copy, which would stall the host on every call of the op. Shapes repeat from
// step to step, so after the first step no call copies anything. The tables are never
// written after the upload, so any stream may read them. The cache is bounded (it is
// emptied when it holds kMaxTables keys, as multi-scale inputs might otherwise grow it)
// and never destroyed (device memory is not freed after the runtime has shut down).
#include <cstdint>
#include <functional>
#include <vector>

#include "engine/autograd.h"
#include "engine/tensor.h"

namespace fovea::cuda {

// What identifies a table: the op's own tag and shape numbers; the device is added here.
using TableKey = std::vector<int64_t>;

inline constexpr size_t kMaxTables = 256;

// The tables cached under (key, device); on a miss, build() makes them (on `device`) and
// they are kept. Thread-safe.
TensorList cached_tables(const TableKey& key, Device device,
                         const std::function<TensorList()>& build);

}  // namespace fovea::cuda
