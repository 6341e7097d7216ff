#pragma once
// The host side of the CUDA pooling kernels (kernels/cuda/pool.h): uploads the windows
// the op computed and launches on the input's stream. Outputs are in the input's dtype.
#ifdef FOVEA_HAS_CUDA
#include "engine/tensor.h"
#include "kernels/pool.h"

namespace fovea {

// y and indices ([N, out_h, out_w, C], indices as i64 input pixel h * in_w + w).
void max_pool2d_forward_cuda(const kernels::PoolShape& shape, const kernels::PoolWindows& rows,
                             const kernels::PoolWindows& cols, const Tensor& x, Tensor& y,
                             Tensor& indices);
Tensor max_pool2d_backward_cuda(const kernels::PoolShape& shape, const kernels::PoolWindows& rows,
                                const kernels::PoolWindows& cols, const Tensor& grad_y,
                                const Tensor& indices);
Tensor avg_pool2d_forward_cuda(const kernels::PoolShape& shape, const kernels::PoolWindows& rows,
                               const kernels::PoolWindows& cols, const Tensor& x);
Tensor avg_pool2d_backward_cuda(const kernels::PoolShape& shape, const kernels::PoolWindows& rows,
                                const kernels::PoolWindows& cols, const Tensor& grad_y);

}  // namespace fovea
#endif
