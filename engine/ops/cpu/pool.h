#pragma once
// The CPU half of the pooling ops (engine/ops/pool.cpp): widens 16-bit floats to f32,
// expands each axis into its windows and calls kernels/cpu/pool.cpp. Outputs are in the
// input's dtype. Nothing here records a graph.
#include "engine/tensor.h"
#include "kernels/pool.h"

namespace fovea::cpu {

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

}  // namespace fovea::cpu
