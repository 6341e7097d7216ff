#pragma once
// Reproducible, accurate sums along the middle axis of an [outer, reduce_len, inner]
// iteration space, shared by the reductions and the normalisation kernels.
//
// The reduced axis is cut into parts whose size depends only on the shape, each part is
// summed into an accumulator of type A (double for floats), and partials are added in
// order. That keeps sums of a few million f32 values accurate to about 1e-7 relative and
// bit-reproducible whatever the number of threads.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/cpu/parallel.h"

namespace fovea::kernels::cpu {

// Returns total[o * inner + i] = sum over r of term(o, r, i), for every (o, i).
// `term` reads whatever arrays it needs; for a contiguous [outer, reduce_len, inner]
// array the element is at (o * reduce_len + r) * inner + i.
template <typename A, typename Term>
std::vector<A> sum_terms(int64_t outer, int64_t reduce_len, int64_t inner, Term term) {
  constexpr int64_t kTarget = 32768;  // elements per task
  const int64_t part_rows = std::max<int64_t>(1, kTarget / std::max<int64_t>(inner, 1));
  const int64_t parts = std::max<int64_t>(1, (reduce_len + part_rows - 1) / part_rows);
  std::vector<A> partial(static_cast<size_t>(outer * parts * inner), A(0));
  // Task (o, p) sums rows [p * part_rows, (p + 1) * part_rows) of outer index o.
  auto sum_part = [&](int64_t task) {
    const int64_t o = task / parts, p = task % parts;
    const int64_t r0 = p * part_rows, r1 = std::min(reduce_len, r0 + part_rows);
    A* acc = partial.data() + (o * parts + p) * inner;
    if (inner == 1) {
      // Four independent accumulators break the add latency chain.
      A a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      int64_t r = r0;
      for (; r + 4 <= r1; r += 4) {
        a0 += term(o, r, 0);
        a1 += term(o, r + 1, 0);
        a2 += term(o, r + 2, 0);
        a3 += term(o, r + 3, 0);
      }
      for (; r < r1; ++r) a0 += term(o, r, 0);
      acc[0] = (a0 + a1) + (a2 + a3);
    } else {
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t i = 0; i < inner; ++i) acc[i] += term(o, r, i);
      }
    }
  };
  parallel_for(outer * parts, std::min(reduce_len, part_rows) * inner,
               [&](int64_t begin, int64_t end) {
                 for (int64_t task = begin; task < end; ++task) sum_part(task);
               });
  std::vector<A> total(static_cast<size_t>(outer * inner), A(0));
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t p = 0; p < parts; ++p) {
      const A* acc = partial.data() + (o * parts + p) * inner;
      for (int64_t i = 0; i < inner; ++i) total[o * inner + i] += acc[i];
    }
  }
  return total;
}

}  // namespace fovea::kernels::cpu
