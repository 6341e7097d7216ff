#pragma once
// Builds kernels::Loop descriptions from tensors: the bridge between Tensor geometry and
// the elementwise kernels.
#include <array>

#include "engine/tensor.h"
#include "kernels/loop.h"

namespace fovea {

// The strides of `tensor` when broadcast to `shape` (0 along broadcast dims).
Shape broadcast_strides(const Tensor& tensor, const Shape& shape, const char* op);

// A loop over `shape` for the given operands (output first). A null operand stands for
// a fresh contiguous tensor of `shape`, such as an output about to be allocated.
template <int N>
kernels::Loop<N> loop_over(const Shape& shape, std::array<const Tensor*, N> operands) {
  std::array<Shape, N> strides;
  std::array<const int64_t*, N> stride_ptrs;
  for (int i = 0; i < N; ++i) {
    strides[i] = operands[i] ? broadcast_strides(*operands[i], shape, "elementwise")
                             : contiguous_strides(shape);
    stride_ptrs[i] = strides[i].data();
  }
  return kernels::make_loop<N>(static_cast<int>(shape.size()), shape.data(), stride_ptrs.data());
}

}  // namespace fovea
