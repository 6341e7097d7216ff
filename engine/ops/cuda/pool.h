#pragma once
// The CUDA half of the pooling ops (engine/ops/pool.cpp), with the CPU half's signatures
// (engine/ops/cpu/pool.h). The kernels compute the windows from the PoolAxis on the
// device, so no call uploads a table. Outputs are in the input's dtype (f32, f16, bf16).
#include "engine/tensor.h"
#include "kernels/pool.h"

namespace fovea::cuda {

// y and indices ([N, out_h, out_w, C], indices as i64 input pixel h * in_w + w).
void max_pool2d_forward(const kernels::PoolShape& shape, const kernels::PoolAxis& rows,
                        const kernels::PoolAxis& cols, const Tensor& x, Tensor& y, Tensor& indices);
Tensor max_pool2d_backward(const kernels::PoolShape& shape, const kernels::PoolAxis& rows,
                           const kernels::PoolAxis& cols, const Tensor& grad_y,
                           const Tensor& indices);
Tensor avg_pool2d_forward(const kernels::PoolShape& shape, const kernels::PoolAxis& rows,
                          const kernels::PoolAxis& cols, const Tensor& x);
Tensor avg_pool2d_backward(const kernels::PoolShape& shape, const kernels::PoolAxis& rows,
                           const kernels::PoolAxis& cols, const Tensor& grad_y);

}  // namespace fovea::cuda
