// CPU reference for reductions (kernels/reduce.h).
//
// The reduced axis is cut into parts whose size depends only on the shape, each part is
// summed into a double partial, and partials are added in order. That keeps sums of a
// few million f32 values accurate to about 1e-7 relative and bit-reproducible whatever
// the number of threads.
#include "kernels/reduce.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "kernels/cpu/parallel.h"

namespace fovea::kernels::cpu {

namespace {

using Accum = double;

template <typename T>
using accum_t = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

// Sums term(x, o, i) over r for every (o, i), returning the totals as [outer, inner].
template <typename T, typename Term>
std::vector<accum_t<T>> sum_terms(const T* in, int64_t outer, int64_t reduce_len, int64_t inner,
                                  Term term) {
  using A = accum_t<T>;
  constexpr int64_t kTarget = 32768;  // elements per task
  const int64_t part_rows = std::max<int64_t>(1, kTarget / std::max<int64_t>(inner, 1));
  const int64_t parts = std::max<int64_t>(1, (reduce_len + part_rows - 1) / part_rows);
  std::vector<A> partial(static_cast<size_t>(outer * parts * inner), A(0));
  parallel_for(outer * parts, std::min(reduce_len, part_rows) * inner, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t o = task / parts, p = task % parts;
      const int64_t r0 = p * part_rows, r1 = std::min(reduce_len, r0 + part_rows);
      A* acc = partial.data() + (o * parts + p) * inner;
      if (inner == 1) {
        // Four independent accumulators break the add latency chain.
        A a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        const T* row = in + o * reduce_len;
        int64_t r = r0;
        for (; r + 4 <= r1; r += 4) {
          a0 += term(row[r], o, 0);
          a1 += term(row[r + 1], o, 0);
          a2 += term(row[r + 2], o, 0);
          a3 += term(row[r + 3], o, 0);
        }
        for (; r < r1; ++r) a0 += term(row[r], o, 0);
        acc[0] = (a0 + a1) + (a2 + a3);
      } else {
        for (int64_t r = r0; r < r1; ++r) {
          const T* row = in + (o * reduce_len + r) * inner;
          for (int64_t i = 0; i < inner; ++i) acc[i] += term(row[i], o, i);
        }
      }
    }
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

}  // namespace

template <typename T>
void reduce(ReduceOp op, const T* in, T* out, int64_t outer, int64_t reduce_len, int64_t inner) {
  using A = accum_t<T>;
  const auto total = sum_terms(in, outer, reduce_len, inner, [](T x, int64_t, int64_t) { return A(x); });
  for (int64_t k = 0; k < outer * inner; ++k) {
    if constexpr (std::is_floating_point_v<T>) {
      out[k] = static_cast<T>(op == ReduceOp::mean ? total[k] / static_cast<double>(reduce_len)
                                                   : total[k]);
    } else {
      out[k] = static_cast<T>(op == ReduceOp::mean ? total[k] / reduce_len : total[k]);
    }
  }
}

template <typename T>
void variance(const T* in, T* out, int64_t outer, int64_t reduce_len, int64_t inner,
              int64_t correction) {
  const auto sums =
      sum_terms(in, outer, reduce_len, inner, [](T x, int64_t, int64_t) { return Accum(x); });
  std::vector<Accum> mean(sums.size());
  for (size_t k = 0; k < sums.size(); ++k) mean[k] = sums[k] / static_cast<double>(reduce_len);
  const auto squares = sum_terms(in, outer, reduce_len, inner, [&](T x, int64_t o, int64_t i) {
    const Accum d = Accum(x) - mean[o * inner + i];
    return d * d;
  });
  const double denominator = static_cast<double>(reduce_len - correction);
  for (int64_t k = 0; k < outer * inner; ++k) {
    out[k] = static_cast<T>(denominator > 0 ? squares[k] / denominator : NAN);
  }
}

template <typename T>
void max_along(const T* in, T* values, int64_t* indices, int64_t outer, int64_t reduce_len,
               int64_t inner) {
  parallel_for(outer * inner, reduce_len, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      const int64_t o = k / inner, i = k % inner;
      const T* column = in + o * reduce_len * inner + i;
      T best = column[0];
      int64_t best_r = 0;
      for (int64_t r = 1; r < reduce_len; ++r) {
        const T v = column[r * inner];
        bool better;
        if constexpr (std::is_floating_point_v<T>) {
          better = !std::isnan(best) && (v > best || std::isnan(v));
        } else {
          better = v > best;
        }
        if (better) {
          best = v;
          best_r = r;
        }
      }
      values[k] = best;
      indices[k] = best_r;
    }
  });
}

template <typename T>
void scatter_along(const T* values, const int64_t* indices, T* out, int64_t outer,
                   int64_t reduce_len, int64_t inner) {
  std::fill(out, out + outer * reduce_len * inner, T(0));
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t k = o * inner + i;
      out[(o * reduce_len + indices[k]) * inner + i] = values[k];
    }
  }
}

template void reduce<float>(ReduceOp, const float*, float*, int64_t, int64_t, int64_t);
template void reduce<double>(ReduceOp, const double*, double*, int64_t, int64_t, int64_t);
template void reduce<int64_t>(ReduceOp, const int64_t*, int64_t*, int64_t, int64_t, int64_t);
template void variance<float>(const float*, float*, int64_t, int64_t, int64_t, int64_t);
template void variance<double>(const double*, double*, int64_t, int64_t, int64_t, int64_t);
template void max_along<float>(const float*, float*, int64_t*, int64_t, int64_t, int64_t);
template void max_along<double>(const double*, double*, int64_t*, int64_t, int64_t, int64_t);
template void scatter_along<float>(const float*, const int64_t*, float*, int64_t, int64_t,
                                   int64_t);
template void scatter_along<double>(const double*, const int64_t*, double*, int64_t, int64_t,
                                    int64_t);
template void max_along<int64_t>(const int64_t*, int64_t*, int64_t*, int64_t, int64_t, int64_t);

}  // namespace fovea::kernels::cpu
