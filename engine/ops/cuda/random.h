#pragma once
// The CUDA half of dropout and drop_path (engine/ops/random.cpp), with the CPU half's
// signature (engine/ops/cpu/random.h). The factories' CUDA half is engine/ops/cuda/factory.h.
#include "engine/tensor.h"
#include "kernels/random.h"

namespace fovea::cuda {

// x * mask, with x seen as [rows, numel / rows], in x's dtype.
Tensor apply_row_mask(const Tensor& x, int64_t rows, const kernels::RowMask& mask, const char* op);

}  // namespace fovea::cuda
