#pragma once
// The CUDA half of softmax / log_softmax (engine/ops/softmax.cpp): contiguous tensors of
// one dtype (f32, f16 or bf16), output allocated by the op.
#ifdef FOVEA_HAS_CUDA
#include "engine/tensor.h"
#include "kernels/softmax.h"

namespace fovea {

void softmax_forward_cuda(const kernels::SoftmaxShape& shape, bool log, const Tensor& x,
                          const Tensor& y);
void softmax_backward_cuda(const kernels::SoftmaxShape& shape, bool log, const Tensor& y,
                           const Tensor& dy, const Tensor& dx);

}  // namespace fovea
#endif
