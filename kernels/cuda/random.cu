// CUDA random streams, arange, and the dropout / drop_path masks (kernels/cuda/random.h).
//
// Math: Philox4x32-10 (kernels/philox.h, the same host/device function the CPU calls), so
// draw i of a stream is identical on both devices. A uniform is k / 2^24 for the draw's
// top 24 bits; a normal is Box-Muller in double on a pair of draws; a dropout row is kept
// iff its uniform is >= p (kernels/random.h: dropout_keeps).
//
// Design: one Philox block gives four draws, so the stream kernels and the dropout kernel
// (one row per element) give each thread a block of four outputs: one Philox evaluation
// (~10 rounds of two 32x32->64 multiplies) per four elements keeps them memory-bound.
// drop_path has one decision per sample and long rows: a 2-D grid with blockIdx.y on the
// row, every thread deciding its row once and then streaming its share of the row.
//
// Roofline (H100, 3.0 TB/s): dropout of ConvNeXt-T's stage-1 tensor in bf16
// (64 x 56 x 56 x 96 = 19.3M elements) reads and writes 77 MB: 26 us floor, with 4.8M
// Philox blocks (~1 GOP of integer work, ~30 us at H100's ~30 TOP/s integer rate: this
// kernel sits near the ridge). drop_path of the same tensor is memory-bound: 26 us.
// randn of 19.3M f32: writes 77 MB (26 us) but computes 9.6M double log+sin+cos:
// compute-bound at a few hundred us; it runs once per initialisation.
#include "kernels/cuda/random.h"

#include <cstdint>

#include "kernels/cuda/check.h"
#include "kernels/cuda/device_helpers.cuh"

namespace fovea::kernels::cuda {

namespace {

using detail::kThreads;

__global__ void fill_uniform_kernel(float* out, int64_t n, uint64_t seed, uint64_t offset) {
  const int64_t blocks = (n + 3) / 4;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t b = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks;
       b += stride) {
    const Philox4 draws = philox_block(offset + static_cast<uint64_t>(b), seed);
    for (int lane = 0; lane < 4 && 4 * b + lane < n; ++lane) {
      out[4 * b + lane] = uniform_from_bits(draws.v[lane]);
    }
  }
}

__global__ void fill_normal_kernel(float* out, int64_t n, uint64_t seed, uint64_t offset) {
  constexpr double kTwoPi = 6.283185307179586;
  const int64_t blocks = (n + 3) / 4;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t b = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks;
       b += stride) {
    const Philox4 draws = philox_block(offset + static_cast<uint64_t>(b), seed);
    for (int pair = 0; pair < 2; ++pair) {
      const int64_t i = 4 * b + 2 * pair;
      if (i >= n) break;
      const double u1 = uniform_from_bits(draws.v[2 * pair]);
      const double u2 = uniform_from_bits(draws.v[2 * pair + 1]);
      const double radius = sqrt(-2.0 * log(1.0 - u1));
      out[i] = static_cast<float>(radius * cos(kTwoPi * u2));
      if (i + 1 < n) out[i + 1] = static_cast<float>(radius * sin(kTwoPi * u2));
    }
  }
}

__global__ void fill_arange_kernel(double* out, int64_t n, double start, double step) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    out[i] = start + static_cast<double>(i) * step;
  }
}

// row_len == 1 (dropout): a thread per Philox block of four elements.
template <typename T>
__global__ void dropout_kernel(const T* x, T* out, int64_t n, RowMask mask) {
  const float scale = static_cast<float>(mask.scale);
  const int64_t blocks = (n + 3) / 4;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t b = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks;
       b += stride) {
    const Philox4 draws = philox_block(mask.offset + static_cast<uint64_t>(b), mask.seed);
    for (int lane = 0; lane < 4 && 4 * b + lane < n; ++lane) {
      const bool keep = static_cast<double>(uniform_from_bits(draws.v[lane])) >= mask.p;
      const int64_t i = 4 * b + lane;
      out[i] = detail::store_as<T>(detail::load_compute(x[i]) * (keep ? scale : 0.0f));
    }
  }
}

// row_len > 1 (drop_path): blockIdx.y walks the rows, threads stream the row.
template <typename T>
__global__ void row_mask_kernel(const T* x, T* out, int64_t rows, int64_t row_len,
                                RowMask mask) {
  const float scale = static_cast<float>(mask.scale);
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t row = blockIdx.y; row < rows; row += gridDim.y) {
    const bool keep = dropout_keeps(mask.seed, mask.offset, static_cast<uint64_t>(row), mask.p);
    const float factor = keep ? scale : 0.0f;
    const T* in = x + row * row_len;
    T* o = out + row * row_len;
    for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < row_len;
         j += stride) {
      o[j] = detail::store_as<T>(detail::load_compute(in[j]) * factor);
    }
  }
}

}  // namespace

void fill_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset, cudaStream_t stream) {
  if (n == 0) return;
  fill_uniform_kernel<<<detail::grid_stride_blocks((n + 3) / 4), kThreads, 0, stream>>>(
      out, n, seed, offset);
  ::fovea::check_launch("fill_uniform_kernel");
}

void fill_normal(float* out, int64_t n, uint64_t seed, uint64_t offset, cudaStream_t stream) {
  if (n == 0) return;
  fill_normal_kernel<<<detail::grid_stride_blocks((n + 3) / 4), kThreads, 0, stream>>>(out, n, seed,
                                                                                       offset);
  ::fovea::check_launch("fill_normal_kernel");
}

void fill_arange(double* out, int64_t n, double start, double step, cudaStream_t stream) {
  if (n == 0) return;
  fill_arange_kernel<<<detail::grid_stride_blocks(n), kThreads, 0, stream>>>(out, n, start, step);
  ::fovea::check_launch("fill_arange_kernel");
}

template <typename T>
void apply_row_mask(const T* x, T* out, int64_t rows, int64_t row_len, const RowMask& mask,
                    cudaStream_t stream) {
  if (rows == 0 || row_len == 0) return;
  if (row_len == 1) {
    dropout_kernel<T>
        <<<detail::grid_stride_blocks((rows + 3) / 4), kThreads, 0, stream>>>(x, out, rows, mask);
    ::fovea::check_launch("dropout_kernel");
    return;
  }
  int64_t per_row = (row_len + kThreads - 1) / kThreads;
  int64_t y = rows < 65535 ? rows : 65535;
  const int64_t most_x = (detail::kMaxGridStrideBlocks + y - 1) / y;  // a few waves in all
  if (per_row > most_x) per_row = most_x;
  const dim3 grid(static_cast<unsigned int>(per_row < 1 ? 1 : per_row),
                  static_cast<unsigned int>(y));
  row_mask_kernel<T><<<grid, kThreads, 0, stream>>>(x, out, rows, row_len, mask);
  ::fovea::check_launch("row_mask_kernel");
}

template void apply_row_mask<float>(const float*, float*, int64_t, int64_t, const RowMask&,
                                    cudaStream_t);
template void apply_row_mask<__half>(const __half*, __half*, int64_t, int64_t, const RowMask&,
                                     cudaStream_t);
template void apply_row_mask<__nv_bfloat16>(const __nv_bfloat16*, __nv_bfloat16*, int64_t, int64_t,
                                            const RowMask&, cudaStream_t);

}  // namespace fovea::kernels::cuda
