#pragma once
// Reductions along the middle axis of a contiguous [outer, reduce_len, inner] block. Any
// reduction over a set of dims is brought to this form by the op (engine/ops/reduction).
#include <cstdint>

namespace fovea::kernels {

enum class ReduceOp { sum, mean };

}  // namespace fovea::kernels

namespace fovea::kernels::cpu {

// out[o, i] = sum or mean over r of in[o, r, i]. Floats accumulate in double, in a fixed
// order that does not depend on the thread count, so results are reproducible.
// T: float, double, int64_t (sum only).
template <typename T>
void reduce(ReduceOp op, const T* in, T* out, int64_t outer, int64_t reduce_len, int64_t inner);

// out[o, i] = sum over r of (in[o, r, i] - mean[o, i])^2 / (reduce_len - correction).
// T: float, double.
template <typename T>
void variance(const T* in, T* out, int64_t outer, int64_t reduce_len, int64_t inner,
              int64_t correction);

// values[o, i] = max over r of in[o, r, i], indices[o, i] = the first r that attains it.
// NaN counts as the maximum, as in PyTorch. T: float, double, int64_t.
template <typename T>
void max_along(const T* in, T* values, int64_t* indices, int64_t outer, int64_t reduce_len,
               int64_t inner);

// The backward of max_along: out[o, indices[o, i], i] = values[o, i]; out is zeroed
// first. T: float, double.
template <typename T>
void scatter_along(const T* values, const int64_t* indices, T* out, int64_t outer,
                   int64_t reduce_len, int64_t inner);

}  // namespace fovea::kernels::cpu
