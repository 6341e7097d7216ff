#pragma once
// The CPU half of channel_mean / channel_scale (engine/ops/squeeze_excite.cpp), below
// autograd: kernels/cpu/squeeze_excite.cpp, 16-bit floats computed in f32. Tensors are
// channels-last [N, ..., C]; outputs are in the inputs' dtype.
#include "engine/tensor.h"

namespace fovea::cpu {

// [N, 1, ..., 1, C]: scale * sum over the middle dims of a (times b when defined).
Tensor spatial_sum(const Tensor& a, const Tensor& b, double scale);

// x's shape (or `shape` when x is undefined): s[n, c] * x when x is defined (scale 1),
// else scale * s[n, c]; s holds N * C values.
Tensor channel_broadcast(const Tensor& x, const Tensor& s, double scale, const Shape& shape);

}  // namespace fovea::cpu
