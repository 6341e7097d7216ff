#pragma once
// Strided copies with dtype conversion, and fills. This is how contiguous(), to(dtype),
// expand-and-materialise and copy_() move data.
#include "kernels/dtype.h"
#include "kernels/loop.h"

namespace fovea::kernels::cpu {

// dst[i] = convert<dst_dtype>(src[i]) over the loop (operand 0 = dst, 1 = src). Floats
// narrow with round-to-nearest-even; floats to integers truncate toward zero, as a C
// cast (and PyTorch) does.
void copy(const Loop<2>& loop, DType dst_dtype, void* dst, DType src_dtype, const void* src);

void fill(const Loop<1>& loop, DType dtype, void* dst, double value);

}  // namespace fovea::kernels::cpu
