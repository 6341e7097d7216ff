#pragma once
// The geometry of an elementwise loop shared by N operands (output first). Each operand
// has its own element strides over a common shape; a stride of 0 broadcasts. Before a
// kernel runs, make_loop() drops size-1 dims and merges neighbouring dims that are
// contiguous for every operand, so that the common cases (same-shape contiguous tensors,
// a per-channel vector over NHWC) become one or two long inner loops. The CPU and CUDA
// kernels both take this struct.
#include <cstdint>

// nvcc cannot compile fmt's consteval format strings, so .cu files see only the struct;
// make_loop() (which reports errors through fmt) is for host C++.
#ifndef __CUDACC__
#include "kernels/error.h"
#endif

namespace fovea::kernels {

constexpr int kMaxDims = 8;

template <int N>
struct Loop {
  int ndim = 1;
  int64_t sizes[kMaxDims] = {1};
  int64_t strides[N][kMaxDims] = {};

  int64_t numel() const {
    int64_t n = 1;
    for (int d = 0; d < ndim; ++d) n *= sizes[d];
    return n;
  }
  // Stride of operand `op` along the innermost dim.
  int64_t inner_stride(int op) const { return strides[op][ndim - 1]; }
};

#ifndef __CUDACC__
template <int N>
Loop<N> make_loop(int ndim, const int64_t* shape, const int64_t* const* strides) {
  FOVEA_CHECK(ndim <= kMaxDims, "elementwise loop: {} dims given, at most {} are supported", ndim,
              kMaxDims);
  Loop<N> loop;
  loop.ndim = 0;
  for (int d = 0; d < ndim; ++d) {
    if (shape[d] == 1) continue;
    const int k = loop.ndim;
    // Merge into the previous (outer) dim when every operand steps through both as one.
    bool mergeable = k > 0;
    for (int op = 0; op < N && mergeable; ++op) {
      mergeable = strides[op][d] * shape[d] == loop.strides[op][k - 1];
    }
    if (mergeable) {
      loop.sizes[k - 1] *= shape[d];
      for (int op = 0; op < N; ++op) loop.strides[op][k - 1] = strides[op][d];
      continue;
    }
    loop.sizes[k] = shape[d];
    for (int op = 0; op < N; ++op) loop.strides[op][k] = strides[op][d];
    ++loop.ndim;
  }
  if (loop.ndim == 0) {  // a single element
    loop.ndim = 1;
    loop.sizes[0] = 1;
    for (int op = 0; op < N; ++op) loop.strides[op][0] = 0;
  }
  // An empty tensor keeps a zero size so that numel() is 0.
  for (int d = 0; d < ndim; ++d) {
    if (shape[d] == 0) {
      loop.ndim = 1;
      loop.sizes[0] = 0;
    }
  }
  return loop;
}
#endif

}  // namespace fovea::kernels
