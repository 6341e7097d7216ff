#pragma once
// The host side of the CUDA interpolation kernels (kernels/cuda/interpolate.h).
#ifdef FOVEA_HAS_CUDA
#include "engine/tensor.h"
#include "kernels/shape.h"

namespace fovea {

// [N, out_h, out_w, C] in x's dtype.
Tensor interpolate_cuda(const Tensor& x, const kernels::InterpolateShape& shape);
// [N, in_h, in_w, C] in grad's dtype.
Tensor interpolate_backward_cuda(const Tensor& grad, const kernels::InterpolateShape& shape);

}  // namespace fovea
#endif
