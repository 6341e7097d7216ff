#pragma once
// The CPU half of the factories that compute their values (engine/ops/factory.cpp): the
// Philox streams of rand / randn and the values of arange (kernels/cpu/random.cpp).
#include "engine/rng.h"
#include "engine/tensor.h"

namespace fovea::cpu {

// f32 tensors of `shape` on `device` from the stream at `state`.
Tensor uniform(const Shape& shape, RngState state, Device device);
Tensor normal(const Shape& shape, RngState state, Device device);
// An f64 tensor [n] with start + i * step.
Tensor arange(int64_t n, double start, double step, Device device);

}  // namespace fovea::cpu
