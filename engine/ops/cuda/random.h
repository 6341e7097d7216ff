#pragma once
// The host side of the CUDA factories and masks (kernels/cuda/random.h): rand, randn and
// arange built directly on the device, and dropout / drop_path's mask.
#ifdef FOVEA_HAS_CUDA
#include "engine/rng.h"
#include "engine/tensor.h"
#include "kernels/random.h"

namespace fovea {

// f32 tensors of `shape` on `device` from the stream at `state`.
Tensor uniform_cuda(const Shape& shape, RngState state, Device device);
Tensor normal_cuda(const Shape& shape, RngState state, Device device);
// An f64 tensor [n] with start + i * step.
Tensor arange_cuda(int64_t n, double start, double step, Device device);
// x (contiguous) * mask, seen as [rows, numel / rows], in x's dtype.
Tensor apply_row_mask_cuda(const Tensor& x, int64_t rows, const kernels::RowMask& mask,
                           const char* op);

}  // namespace fovea
#endif
