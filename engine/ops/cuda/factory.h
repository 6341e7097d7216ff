#pragma once
// The CUDA half of the factories that compute their values (engine/ops/factory.cpp), with
// the CPU half's signatures (engine/ops/cpu/factory.h): rand, randn and arange built
// directly on the device, the same numbers as on the CPU.
#include "engine/rng.h"
#include "engine/tensor.h"

namespace fovea::cuda {

// f32 tensors of `shape` on `device` from the stream at `state`.
Tensor uniform(const Shape& shape, RngState state, Device device);
Tensor normal(const Shape& shape, RngState state, Device device);
// An f64 tensor [n] with start + i * step.
Tensor arange(int64_t n, double start, double step, Device device);

}  // namespace fovea::cuda
