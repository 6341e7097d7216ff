#pragma once
// How the CPU kernels split work across OpenMP threads.
#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "kernels/loop.h"

namespace fovea::kernels::cpu {

// Below this many elements a loop runs on one thread: starting a parallel region costs
// a few microseconds, more than a small elementwise op takes.
constexpr int64_t kParallelGrain = 32768;

// Calls body(begin, end) over [0, n) in chunks, in parallel when the work is large.
// `cost_per_item` scales the grain for items that are more than one element of work.
template <typename Body>
void parallel_for(int64_t n, int64_t cost_per_item, Body&& body) {
  if (n <= 0) return;
  const int64_t work = n * std::max<int64_t>(cost_per_item, 1);
  const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  if (work < kParallelGrain || threads == 1) {
    body(int64_t{0}, n);
    return;
  }
  const int64_t chunks = std::min<int64_t>(n, threads);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t begin = n * c / chunks, end = n * (c + 1) / chunks;
    if (begin < end) body(begin, end);
  }
}

// How many parts parallel_parts() cuts [0, n) into: one per thread (at most n), or 1 when
// the work is too small to share or we already run inside a parallel region.
inline int64_t parallel_part_count(int64_t n, int64_t cost_per_item) {
  if (n <= 0) return 1;
  const int64_t work = n * std::max<int64_t>(cost_per_item, 1);
  const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  if (work < kParallelGrain || threads == 1) return 1;
  return std::min<int64_t>(n, threads);
}

// Calls body(part, begin, end) for each of the `parts` contiguous ranges of [0, n), the
// parts in parallel. For kernels that keep one partial result per part (a weight
// gradient, say) and add the partials in part order afterwards: the result then depends
// on the part count but never on scheduling. With one part, body runs on the calling
// thread outside any parallel region, so the work inside it may parallelise itself.
template <typename Body>
void parallel_parts(int64_t n, int64_t parts, Body&& body) {
  if (n <= 0) return;
  if (parts <= 1) {
    body(int64_t{0}, int64_t{0}, n);
    return;
  }
  // More parts than threads is fine (kernels that fix their part count by the shape):
  // each thread takes a contiguous run of them.
  const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
#pragma omp parallel for schedule(static) \
    num_threads(static_cast <int>(std::min <int64_t>(parts, threads)))
  for (int64_t p = 0; p < parts; ++p) {
    const int64_t begin = n * p / parts, end = n * (p + 1) / parts;
    if (begin < end) body(p, begin, end);
  }
}

// Runs row(offsets, count) over every innermost run of a Loop: `offsets` are the element
// offsets of each operand at the start of the run, and the run steps by
// loop.inner_stride(op). Long inner dims are cut into pieces so that a single
// contiguous array still spreads over all threads.
template <int N, typename RowFn>
void for_each_row(const Loop<N>& loop, RowFn&& row) {
  const int inner = loop.ndim - 1;
  const int64_t row_len = loop.sizes[inner];
  if (loop.numel() == 0) return;
  int64_t rows = 1;
  for (int d = 0; d < inner; ++d) rows *= loop.sizes[d];
  constexpr int64_t kPiece = 16384;
  const int64_t pieces_per_row = (row_len + kPiece - 1) / kPiece;
  parallel_for(rows * pieces_per_row, std::min(row_len, kPiece), [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t r = item / pieces_per_row, piece = item % pieces_per_row;
      int64_t offsets[N] = {};
      int64_t rest = r;
      for (int d = inner - 1; d >= 0; --d) {
        const int64_t index = rest % loop.sizes[d];
        rest /= loop.sizes[d];
        for (int op = 0; op < N; ++op) offsets[op] += index * loop.strides[op][d];
      }
      const int64_t start = piece * kPiece;
      for (int op = 0; op < N; ++op) offsets[op] += start * loop.strides[op][inner];
      row(offsets, std::min(kPiece, row_len - start));
    }
  });
}

}  // namespace fovea::kernels::cpu
