#pragma once
// The CUDA half of engine/ops/conv.cpp, with the same names and signatures as
// engine/ops/cpu/conv.h: dense convolutions through cuDNN 9 (NHWC), and the depthwise
// shapes fovea has its own kernels for. No autograd; shapes already checked. Plain C++;
// a CPU-only build links engine/without_cuda.cpp's versions, which throw.
#include "engine/tensor.h"
#include "kernels/conv.h"

namespace fovea::cuda {

// y [N, Ho, Wo, Cout] = conv(x, w) + bias (bias may be undefined), in x's dtype.
Tensor conv2d_forward(const kernels::Conv2dShape& shape, const Tensor& x, const Tensor& w,
                      const Tensor& bias);
// grad_x [N, H, W, Cin] in `dtype`.
Tensor conv2d_backward_data(const kernels::Conv2dShape& shape, const Tensor& grad_y,
                            const Tensor& w, DType dtype);
// grad_w [Cout, kh, kw, Cin/groups] in `dtype`.
Tensor conv2d_backward_weight(const kernels::Conv2dShape& shape, const Tensor& grad_y,
                              const Tensor& x, DType dtype);

}  // namespace fovea::cuda
