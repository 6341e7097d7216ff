#pragma once
// The CPU half of interpolate (engine/ops/interpolate.cpp): 16-bit floats computed in f32,
// then kernels/cpu/interpolate.cpp. Outputs are in the input's dtype; nothing is recorded.
#include "engine/tensor.h"
#include "kernels/shape.h"

namespace fovea::cpu {

// [N, out_h, out_w, C] in x's dtype.
Tensor interpolate(const Tensor& x, const kernels::InterpolateShape& shape);
// [N, in_h, in_w, C] in grad's dtype.
Tensor interpolate_backward(const Tensor& grad, const kernels::InterpolateShape& shape);

}  // namespace fovea::cpu
