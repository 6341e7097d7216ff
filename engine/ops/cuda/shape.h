#pragma once
// The CUDA half of the copying shape ops (engine/ops/shape.cpp), with the CPU half's
// signatures (engine/ops/cpu/shape.h): cat (strided memcpy), the index range check,
// index_select / embedding and gather with their backwards, one_hot. The index is i64
// and contiguous, on the tensors' device. Nothing here records a graph.
#include <vector>

#include "engine/tensor.h"
#include "kernels/shape.h"

namespace fovea::cuda {

// out (contiguous, `rows` rows) = the inputs' rows side by side.
void cat_rows(const Tensor& out, int64_t rows, const std::vector<kernels::CatInput>& inputs);

// Checks on the device, without a download: an entry outside [0, size) prints the op,
// the index and the size, and stops the kernel, and the error surfaces at the next
// synchronisation of the stream (as a device-side assert does in PyTorch).
void check_index_range(const Tensor& idx, int64_t size, const char* op, int64_t dim,
                       const char* what, const Shape& shape);

// out = src (contiguous) indexed by idx (checked).
void index_select(const Tensor& src, const Tensor& idx, Tensor& out,
                  const kernels::IndexSelectShape& shape);
// The gradient of index_select, of `shape` in `dtype`: a deterministic segmented sum,
// duplicates adding in index order as on the CPU (kernels/cuda/index_add.cu).
Tensor index_add(const Tensor& grad, const Tensor& idx, const Shape& shape, DType dtype,
                 const kernels::IndexSelectShape& geometry);

void gather(const Tensor& src, const Tensor& idx, Tensor& out, const kernels::GatherShape& shape);
// The gradient of gather, of `shape` in `dtype`.
Tensor scatter_add(const Tensor& grad, const Tensor& idx, const Shape& shape, DType dtype,
                   const kernels::GatherShape& geometry);

// out (i64, contiguous [idx.numel(), num_classes]) = one_hot of idx (checked).
void one_hot(const Tensor& idx, int64_t num_classes, Tensor& out);

}  // namespace fovea::cuda
