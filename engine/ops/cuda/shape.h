#pragma once
// The host side of the CUDA copying shape ops: cat (strided memcpy), index_select /
// embedding and gather (kernels/cuda/shape.h) with their backward, and one_hot.
#ifdef FOVEA_HAS_CUDA
#include <vector>

#include "engine/tensor.h"
#include "kernels/shape.h"

namespace fovea {

// out (a CUDA buffer of `rows` rows) = the inputs' rows side by side, as cpu::cat_rows.
void cat_rows_cuda(const Tensor& out, int64_t rows,
                   const std::vector<kernels::CatInput>& inputs);

// out = src (contiguous) indexed by idx (i64, contiguous, on the device, checked).
void index_select_cuda(const Tensor& src, const Tensor& idx, Tensor& out,
                       const kernels::IndexSelectShape& shape);
// The gradient of index_select, of `shape` in `dtype`.
Tensor index_add_cuda(const Tensor& grad, const Tensor& idx, const Shape& shape, DType dtype,
                      const kernels::IndexSelectShape& geometry);

void gather_cuda(const Tensor& src, const Tensor& idx, Tensor& out,
                 const kernels::GatherShape& shape);
Tensor scatter_add_cuda(const Tensor& grad, const Tensor& idx, const Shape& shape, DType dtype,
                        const kernels::GatherShape& geometry);

// out (i64 on the device, contiguous [idx.numel(), num_classes]) = one_hot of idx (i64,
// contiguous, on the device, checked).
void one_hot_cuda(const Tensor& idx, int64_t num_classes, Tensor& out);

}  // namespace fovea
#endif
