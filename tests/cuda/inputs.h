#pragma once
// Inputs for the cuda tier: f32 CPU tensors, uniform in [low, high), from a fixed seed.
#include "engine/engine.h"

namespace fovea::testing {

inline Tensor uniform_input(const Shape& shape, uint64_t seed, double low = -2.0,
                            double high = 2.0) {
  Generator generator(seed);
  NoGradGuard no_grad;
  return add(mul(rand(shape, {}, &generator), high - low), low);
}

// The three dtypes every CUDA kernel is checked in.
inline constexpr DType kCudaDtypes[] = {DType::f32, DType::bf16, DType::f16};

}  // namespace fovea::testing
