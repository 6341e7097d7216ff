// CPU reference for reductions (kernels/reduce.h). Sums go through sum_terms
// (kernels/cpu/accumulate.h): double partials over shape-fixed parts, added in order, so
// results are accurate and do not depend on the number of threads.
#include "kernels/reduce.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "kernels/cpu/accumulate.h"
#include "kernels/cpu/parallel.h"

namespace fovea::kernels::cpu {

namespace {

using Accum = double;

template <typename T>
using accum_t = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

}  // namespace

template <typename T>
void reduce(ReduceOp op, const T* in, T* out, int64_t outer, int64_t reduce_len, int64_t inner) {
  using A = accum_t<T>;
  const auto total = sum_terms<A>(outer, reduce_len, inner, [&](int64_t o, int64_t r, int64_t i) {
    return A(in[(o * reduce_len + r) * inner + i]);
  });
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
  auto element = [&](int64_t o, int64_t r, int64_t i) {
    return Accum(in[(o * reduce_len + r) * inner + i]);
  };
  const auto sums = sum_terms<Accum>(outer, reduce_len, inner, element);
  std::vector<Accum> mean(sums.size());
  for (size_t k = 0; k < sums.size(); ++k) mean[k] = sums[k] / static_cast<double>(reduce_len);
  const auto squares =
      sum_terms<Accum>(outer, reduce_len, inner, [&](int64_t o, int64_t r, int64_t i) {
        const Accum d = element(o, r, i) - mean[o * inner + i];
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
