#pragma once
// The CUDA half of interpolate (engine/ops/interpolate.cpp), with the CPU half's
// signatures (engine/ops/cpu/interpolate.h). Outputs are in the input's dtype (f32, f16,
// bf16); nothing is recorded.
#include "engine/tensor.h"
#include "kernels/shape.h"

namespace fovea::cuda {

// [N, out_h, out_w, C] in x's dtype.
Tensor interpolate(const Tensor& x, const kernels::InterpolateShape& shape);
// [N, in_h, in_w, C] in grad's dtype.
Tensor interpolate_backward(const Tensor& grad, const kernels::InterpolateShape& shape);

}  // namespace fovea::cuda
