#pragma once
// The CPU half of dropout and drop_path (engine/ops/random.cpp): the mask regenerated
// from its RNG state and applied in one pass (kernels/cpu/random.cpp).
#include "engine/tensor.h"
#include "kernels/random.h"

namespace fovea::cpu {

// x * mask, with x seen as [rows, numel / rows], in x's dtype (16-bit floats computed in
// f32).
Tensor apply_row_mask(const Tensor& x, int64_t rows, const kernels::RowMask& mask, const char* op);

}  // namespace fovea::cpu
