#pragma once
// CUDA launchers for strided copies with dtype conversion, and fills (the device half of
// kernels/copy.h): contiguous(), to(dtype), copy_() and fill_() of CUDA tensors. The
// conversions are the CPU's: floats narrow with round-to-nearest-even, floats to integers
// truncate toward zero, saturate, and send NaN to 0. Both enqueue on `stream`.
#include <cuda_runtime.h>

#include "kernels/dtype.h"
#include "kernels/loop.h"

namespace fovea::kernels::cuda {

// dst[i] = convert<dst_dtype>(src[i]) over the loop (operand 0 = dst, 1 = src); any two
// storage dtypes.
void copy(const Loop<2>& loop, DType dst_dtype, void* dst, DType src_dtype, const void* src,
          cudaStream_t stream);

void fill(const Loop<1>& loop, DType dtype, void* dst, double value, cudaStream_t stream);

}  // namespace fovea::kernels::cuda
