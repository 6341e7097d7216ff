#pragma once
// Softmax and log-softmax along the middle axis of a contiguous [outer, dim, inner] block.
// Softmax over any dim of a tensor is this form without a copy: `inner` is the product of
// the sizes after the dim, so the last dim is inner == 1 (the fast path: one contiguous
// row per (outer) index).
#include <cstdint>

namespace fovea::kernels {

struct SoftmaxShape {
  int64_t outer = 1;
  int64_t dim = 1;  // the softmax axis
  int64_t inner = 1;
};

}  // namespace fovea::kernels

namespace fovea::kernels::cpu {

// y = softmax(x) or log_softmax(x) along the axis, with the maximum subtracted first so
// that no exp overflows. Sums accumulate in double. T: float, double.
template <typename T>
void softmax_forward(const SoftmaxShape& shape, bool log, const T* x, T* y);

// From the forward's output y and the gradient dy:
//   softmax:     dx = y * (dy - sum(dy * y))
//   log_softmax: dx = dy - exp(y) * sum(dy)
// T: float, double.
template <typename T>
void softmax_backward(const SoftmaxShape& shape, bool log, const T* y, const T* dy, T* dx);

}  // namespace fovea::kernels::cpu
