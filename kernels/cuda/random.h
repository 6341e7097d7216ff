#pragma once
// CUDA launchers for the random streams and masks of kernels/random.h, and arange: the
// factories that build directly on the device. Every number is a pure function of
// (seed, offset, index) through kernels/philox.h, so the device draws what the CPU draws.
// Each launcher enqueues on `stream` and checks the launch.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/random.h"

namespace fovea::kernels::cuda {

// out[i] = uniform_from_bits(philox_draw(seed, offset, i)): bit-identical to the CPU.
void fill_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset, cudaStream_t stream);
// Box-Muller in double as cpu::fill_normal. CUDA's double log/sin/cos may differ from the
// host libm by an ulp of double, which changes the f32 result only when it lands within
// that of a rounding boundary (about one element in 10^8).
void fill_normal(float* out, int64_t n, uint64_t seed, uint64_t offset, cudaStream_t stream);
// out[i] = start + i * step, in double (the CPU's arange before its cast).
void fill_arange(double* out, int64_t n, double start, double step, cudaStream_t stream);

// out[r, j] = x[r, j] * (keep(r) ? scale : 0) over contiguous [rows, row_len].
// T: float, __half, __nv_bfloat16 (computed in f32).
template <typename T>
void apply_row_mask(const T* x, T* out, int64_t rows, int64_t row_len, const RowMask& mask,
                    cudaStream_t stream);

}  // namespace fovea::kernels::cuda
