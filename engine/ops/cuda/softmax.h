#pragma once
// The CUDA half of softmax / log_softmax (engine/ops/softmax.cpp), with the same names and
// signatures as engine/ops/cpu/softmax.h: contiguous tensors of one dtype (f32, f16 or
// bf16), output allocated by the op. Plain C++; a CPU-only build links
// engine/without_cuda.cpp's versions, which throw.
#include "engine/tensor.h"
#include "kernels/softmax.h"

namespace fovea::cuda {

void softmax_forward(const kernels::SoftmaxShape& shape, bool log, const Tensor& x,
                     const Tensor& y);
void softmax_backward(const kernels::SoftmaxShape& shape, bool log, const Tensor& y,
                      const Tensor& dy, const Tensor& dx);

}  // namespace fovea::cuda
