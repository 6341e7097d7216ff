#pragma once
// Pieces shared by the dense convolution's two GEMM paths (kernels/cpu/conv2d.cpp:
// im2col; kernels/cpu/conv2d_shifted.cpp: shifted rows). Not part of the kernel API.
#include <omp.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "kernels/conv.h"
#include "kernels/cpu/parallel.h"

namespace fovea::kernels::cpu {

// A scratch buffer that is about to be overwritten: no zero-fill.
template <typename T>
std::unique_ptr<T[]> uninitialised(int64_t n) {
  return std::unique_ptr<T[]>(new T[static_cast<size_t>(n)]);
}

// Parts for work items that each run single-threaded, on their own buffers: one per thread
// when there are at least as many items as threads. Otherwise 1, and each item
// parallelises inside instead (Eigen threads its GEMMs), which is what batch 1 needs.
inline int64_t item_parts(int64_t items, int64_t cost_per_item) {
  const int64_t threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  return items >= threads ? parallel_part_count(items, cost_per_item) : 1;
}

// out[0, size) = the sum of what body(acc, begin, end) accumulates into its zeroed acc for
// items [begin, end), over weight_grad_parts(items) parts. Part 0 accumulates into out
// itself; the other partials are added in part order. The parts are fixed by the item
// count, so the result depends neither on scheduling nor on the thread count. With more
// threads than parts, the parts run one after another and each parallelises inside (its
// GEMMs share their blocks among the threads), which gives the same sums.
constexpr int64_t kWeightGradParts = 2;  // partials of the size of the weight, at most
inline int64_t weight_grad_parts(int64_t items) {
  return std::clamp<int64_t>(items, 1, kWeightGradParts);
}

template <typename T, typename Body>
void sum_over_parts(int64_t items, int64_t size, T* out, Body&& body) {
  const int64_t parts = weight_grad_parts(items);
  std::fill(out, out + size, T(0));
  std::vector<std::unique_ptr<T[]>> partials(static_cast<size_t>(parts));
  for (int64_t p = 1; p < parts; ++p) partials[p] = uninitialised<T>(size);
  const auto run_part = [&](int64_t part, int64_t begin, int64_t end) {
    T* acc = part == 0 ? out : partials[part].get();
    if (part != 0) std::fill(acc, acc + size, T(0));
    body(acc, begin, end);
  };
  const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  if (threads > parts) {
    for (int64_t p = 0; p < parts; ++p) run_part(p, items * p / parts, items * (p + 1) / parts);
  } else {
    parallel_parts(items, parts, run_part);
  }
  if (parts <= 1) return;
  parallel_for(size, parts, [&](int64_t begin, int64_t end) {
    for (int64_t p = 1; p < parts; ++p) {
      const T* partial = partials[p].get();
      for (int64_t i = begin; i < end; ++i) out[i] += partial[i];
    }
  });
}

// The shifted-rows path: stride 1, no dilation, one group, and little enough padding that
// an image padded once, with its row padding shared between neighbouring rows, holds
// every patch as kh overlapping strided matrices. Worth it only while the extra columns
// this computes and throws away stay a small fraction of the row, and while one padded
// image is a reasonable amount of scratch memory.
bool shifted_conv_applies(const Conv2dShape& shape);

template <typename T>
void shifted_conv2d_forward(const Conv2dShape& shape, const T* x, const T* w, const T* bias, T* y);

template <typename T>
void shifted_conv2d_backward_weight(const Conv2dShape& shape, const T* grad_y, const T* x,
                                    T* grad_w);

}  // namespace fovea::kernels::cpu
