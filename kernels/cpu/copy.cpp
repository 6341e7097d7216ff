// Strided copy with conversion between any two storage dtypes (kernels/copy.h).
#include "kernels/copy.h"

#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/cpu/parallel.h"

namespace fovea::kernels::cpu {

namespace {

template <typename T>
constexpr bool is_half_v = std::is_same_v<T, f16> || std::is_same_v<T, bf16>;

// Float to integer saturates and sends NaN to 0: the C++ cast is undefined there.
template <typename D, typename S>
D float_to_integer(S value) {
  if (std::isnan(value)) return D(0);
  if (value >= static_cast<S>(std::numeric_limits<D>::max())) return std::numeric_limits<D>::max();
  if (value <= static_cast<S>(std::numeric_limits<D>::lowest())) return std::numeric_limits<D>::lowest();
  return static_cast<D>(value);
}

template <typename D, typename S>
D convert(S value) {
  if constexpr (std::is_same_v<D, S>) {
    return value;
  } else if constexpr (is_half_v<S>) {
    return convert<D>(static_cast<float>(value));
  } else if constexpr (is_half_v<D>) {
    return D(static_cast<float>(value));
  } else if constexpr (std::is_same_v<D, bool>) {
    return value != S(0);
  } else if constexpr (std::is_integral_v<D> && std::is_floating_point_v<S>) {
    return float_to_integer<D>(value);
  } else {
    return static_cast<D>(value);
  }
}

template <typename D, typename S>
void copy_typed(const Loop<2>& loop, D* dst, const S* src) {
  const int64_t sd = loop.inner_stride(0), ss = loop.inner_stride(1);
  for_each_row(loop, [&](const int64_t* offsets, int64_t n) {
    D* out = dst + offsets[0];
    const S* in = src + offsets[1];
    if (sd == 1 && ss == 1) {
      for (int64_t i = 0; i < n; ++i) out[i] = convert<D>(in[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) out[i * sd] = convert<D>(in[i * ss]);
    }
  });
}

}  // namespace

void copy(const Loop<2>& loop, DType dst_dtype, void* dst, DType src_dtype, const void* src) {
  visit_dtype(dst_dtype, [&](auto dst_tag) {
    using D = decltype(dst_tag);
    visit_dtype(src_dtype, [&](auto src_tag) {
      using S = decltype(src_tag);
      copy_typed(loop, static_cast<D*>(dst), static_cast<const S*>(src));
    });
  });
}

void fill(const Loop<1>& loop, DType dtype, void* dst, double value) {
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    const T v = convert<T>(value);
    T* base = static_cast<T*>(dst);
    const int64_t stride = loop.inner_stride(0);
    for_each_row(loop, [&](const int64_t* offsets, int64_t n) {
      T* out = base + offsets[0];
      for (int64_t i = 0; i < n; ++i) out[i * stride] = v;
    });
  });
}

}  // namespace fovea::kernels::cpu
