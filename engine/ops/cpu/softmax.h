#pragma once
// The CPU half of softmax / log_softmax (engine/ops/softmax.cpp), with the same names and
// signatures as engine/ops/cuda/softmax.h: contiguous f32 or f64 tensors of one dtype,
// output allocated by the op.
#include "engine/tensor.h"
#include "kernels/softmax.h"

namespace fovea::cpu {

void softmax_forward(const kernels::SoftmaxShape& shape, bool log, const Tensor& x,
                     const Tensor& y);
void softmax_backward(const kernels::SoftmaxShape& shape, bool log, const Tensor& y,
                      const Tensor& dy, const Tensor& dx);

}  // namespace fovea::cpu
