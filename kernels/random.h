#pragma once
// Random masks for dropout and drop_path (stochastic depth). The keep/drop decision of
// row r is a pure function of (seed, offset, r, p), drawn with Philox, so the CPU and the
// CUDA kernels draw the same mask, any thread may decide any row, and a backward pass can
// regenerate the mask from the saved RNG state instead of storing it.
#include <cstdint>

#include "kernels/philox.h"

namespace fovea::kernels {

// Row r is kept iff its uniform draw is at least p: probability 1 - p, since the draw is
// k / 2^24 for k uniform in [0, 2^24). Compared in double so that no device rounds p.
FOVEA_HOST_DEVICE bool dropout_keeps(uint64_t seed, uint64_t offset, uint64_t row, double p) {
  return static_cast<double>(uniform_from_bits(philox_draw(seed, offset, row))) >= p;
}

// The mask of one dropout or drop_path call: rows are decided by dropout_keeps(seed,
// offset, r, p); kept rows are multiplied by `scale`, dropped rows by 0 (so that a NaN or
// inf still shows, as in PyTorch's x * mask).
struct RowMask {
  uint64_t seed = 0;
  uint64_t offset = 0;  // in Philox blocks, as RngState
  double p = 0.0;
  double scale = 1.0;
};

namespace cpu {

// The factories' streams (engine/ops/factory.h). Element i depends only on (seed, offset,
// i), so the loops share the work across threads and compute each Philox block once for
// its four draws without changing a number.
// out[i] = uniform_from_bits(philox_draw(seed, offset, i)).
void fill_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset);
// Box-Muller on the draw pairs (u1, u2) = draws (2p, 2p + 1), in double:
// out[2p] = r cos(2 pi u2), out[2p + 1] = r sin(2 pi u2), r = sqrt(-2 log(1 - u1)).
void fill_normal(float* out, int64_t n, uint64_t seed, uint64_t offset);

// out[r, j] = x[r, j] * (keep(r) ? scale : 0) over contiguous [rows, row_len] blocks.
// Dropout is row_len = 1; drop_path is one row per sample. T: float, double.
template <typename T>
void apply_row_mask(const T* x, T* out, int64_t rows, int64_t row_len, const RowMask& mask);

}  // namespace cpu
}  // namespace fovea::kernels
