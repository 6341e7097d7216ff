#pragma once
// The host side of the CUDA reductions (kernels/cuda/reduce.h), called by
// engine/ops/reduction.cpp on the [outer, reduce, inner] plan it builds. `in` is
// contiguous; outputs are allocated by the caller in the input's dtype (i64 for integer
// sums).
#ifdef FOVEA_HAS_CUDA
#include "engine/tensor.h"
#include "kernels/reduce.h"

namespace fovea {

void reduce_cuda(kernels::ReduceOp op, const Tensor& in, Tensor& out, int64_t outer,
                 int64_t reduce_len, int64_t inner, const char* name);
void variance_cuda(const Tensor& in, Tensor& out, int64_t outer, int64_t reduce_len, int64_t inner,
                   int64_t correction);
void max_along_cuda(const Tensor& in, Tensor& values, Tensor& indices, int64_t outer,
                    int64_t reduce_len, int64_t inner);
// out (of in's full shape) = 0 except out[o, indices[o, i], i] = values[o, i].
void scatter_along_cuda(const Tensor& values, const Tensor& indices, Tensor& out, int64_t outer,
                        int64_t reduce_len, int64_t inner);

}  // namespace fovea
#endif
