#pragma once
// The CPU half of the reductions (engine/ops/reduction.cpp), on the [outer, reduce,
// inner] plan the op builds: `in` is contiguous, outputs are allocated by the op in the
// input's dtype (i64 for integer sums). 16-bit floats are reduced in f32 and rounded once.
#include "engine/tensor.h"
#include "kernels/reduce.h"

namespace fovea::cpu {

void reduce(kernels::ReduceOp op, const Tensor& in, Tensor& out, int64_t outer, int64_t reduce_len,
            int64_t inner, const char* name);
void variance(const Tensor& in, Tensor& out, int64_t outer, int64_t reduce_len, int64_t inner,
              int64_t correction);
// values (in's dtype) and indices (i64) of the maximum along the reduced dim.
void max_along(const Tensor& in, Tensor& values, Tensor& indices, int64_t outer, int64_t reduce_len,
               int64_t inner);
// The backward of max_along: a tensor of `in_shape` in values' dtype, 0 except
// out[o, indices[o, i], i] = values[o, i].
Tensor scatter_along(const Tensor& values, const Tensor& indices, const Shape& in_shape,
                     int64_t outer, int64_t reduce_len, int64_t inner);

}  // namespace fovea::cpu
