#pragma once
// exp, sigmoid, erf and tanh for f32 that the compiler turns into SIMD code.
//
// glibc's expf and erff are scalar calls with branches, so a loop calling them runs one
// element at a time: SiLU through std::exp costs ~2 ns per element, which made the fused
// BatchNorm + SiLU 60% of EfficientNet-B0's CPU inference. The functions below are
// branch-free arithmetic on one float (a polynomial, bit tricks, and selects), inline, so
// a loop over them vectorises to AVX-512 or AVX2, whichever the build targets, at ~16
// elements per few cycles. They are forced inline: in a kernel with twenty ops' loops GCC
// otherwise calls them, one element at a time, and nothing vectorises. f64 keeps the C library's
// functions: the gradient checks run in f64 and want them exact.
//
// Accuracy (checked against the C library over the whole range in
// tests/engine/vector_math_unit.cpp):
//   exp_of    Cephes' expf polynomial after Cody-Waite range reduction: within 2 ulp.
//   erf_of    Abramowitz & Stegun 7.1.26 on top of exp_of: within 5e-7 absolute.
//   tanh_of   1 - 2 / (1 + e^{2x}), with the odd polynomial near 0 where that cancels:
//             within 1e-7 absolute.
#include <bit>
#include <cmath>
#include <cstdint>

namespace fovea::kernels::cpu {

[[gnu::always_inline]] inline float exp_f32(float x) {
  constexpr float kMaxArg = 88.7228394f;   // above: overflow to inf
  constexpr float kMinArg = -87.3365479f;  // below: under the smallest normal, 0
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;  // ln 2 in two parts
  constexpr float kRoundMagic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  float clamped = x < kMinArg ? kMinArg : x;  // selects, not fmin: they vectorise
  clamped = clamped > kMaxArg ? kMaxArg : clamped;
  // x = n ln2 + r with |r| <= ln2 / 2; e^x = 2^n e^r.
  const float n = (clamped * kLog2e + kRoundMagic) - kRoundMagic;
  const float r = (clamped - n * kLn2Hi) - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e_r = p * r * r + r + 1.0f;
  // 2^n in two factors: n reaches 128 just below the overflow bound, and 2^128 is no float.
  const int32_t n_int = static_cast<int32_t>(n), half = n_int >> 1;
  const float two_half = std::bit_cast<float>((half + 127) << 23);
  const float two_rest = std::bit_cast<float>((n_int - half + 127) << 23);
  float result = e_r * two_half * two_rest;
  result = x > kMaxArg ? INFINITY : result;
  result = x < kMinArg ? 0.0f : result;
  return x != x ? x : result;  // NaN stays NaN
}

[[gnu::always_inline]] inline float erf_f32(float x) {
  constexpr float p = 0.3275911f;
  constexpr float a1 = 0.254829592f, a2 = -0.284496736f, a3 = 1.421413741f;
  constexpr float a4 = -1.453152027f, a5 = 1.061405429f;
  const float ax = std::fabs(x);
  const float t = 1.0f / (1.0f + p * ax);
  const float poly = ((((a5 * t + a4) * t + a3) * t + a2) * t + a1) * t;
  const float y = 1.0f - poly * exp_f32(-ax * ax);
  return std::copysign(y, x);
}

[[gnu::always_inline]] inline float tanh_f32(float x) {
  const float ax = std::fabs(x);
  // Near 0, 1 - 2 / (1 + e^{2x}) loses the low bits; the Taylor series is exact there.
  const float x2 = x * x;
  const float series = x * (1.0f + x2 * (-1.0f / 3 + x2 * (2.0f / 15 + x2 * (-17.0f / 315))));
  const float far = std::copysign(1.0f - 2.0f / (1.0f + exp_f32(2.0f * ax)), x);
  return ax < 0.125f ? series : far;
}

// The dispatch the kernels use: f32 through the functions above, f64 through libm.
template <typename T>
[[gnu::always_inline]] inline T exp_of(T x) {
  if constexpr (sizeof(T) == 4) {
    return exp_f32(x);
  } else {
    return std::exp(x);
  }
}

template <typename T>
[[gnu::always_inline]] inline T erf_of(T x) {
  if constexpr (sizeof(T) == 4) {
    return erf_f32(x);
  } else {
    return std::erf(x);
  }
}

template <typename T>
[[gnu::always_inline]] inline T tanh_of(T x) {
  if constexpr (sizeof(T) == 4) {
    return tanh_f32(x);
  } else {
    return std::tanh(x);
  }
}

// The logistic function. One definition for the sigmoid and SiLU ops and for the
// activation fused into batch norm, so the fused op matches the pair to the last bit.
template <typename T>
[[gnu::always_inline]] inline T sigmoid_of(T x) {
  return T(1) / (T(1) + exp_of(-x));
}

}  // namespace fovea::kernels::cpu
