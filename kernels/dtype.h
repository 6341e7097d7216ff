#pragma once
// Element types. This header and kernels/error.h are leaf headers that every layer,
// kernels/ included, may use. bf16 and f16 are real storage types on every device: on the CPU they
// are stored as 16-bit patterns and converted with round-to-nearest-even, so that
// mixed-precision logic behaves the same with or without a GPU.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace fovea {

enum class DType : uint8_t { f32, f16, bf16, f64, i32, i64, u8, boolean };

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);        // "f32", "bf16", ...
const char* dtype_torch_name(DType dtype);  // "torch.float32", ... for printing
DType dtype_from_name(const std::string& name);
bool is_floating(DType dtype);
bool is_integral(DType dtype);  // bool counts as integral
// The dtype of `a op b`, following PyTorch's promotion of tensor operands.
DType promote_types(DType a, DType b);

// ---- 16-bit float conversions (round-to-nearest-even, NaN stays NaN) ----
inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline uint16_t float_to_bf16_bits(float f) {
  uint32_t u = float_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
  uint32_t rounding_bias = 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>((u + rounding_bias) >> 16);
}
inline float bf16_bits_to_float(uint16_t h) {
  return bits_float(static_cast<uint32_t>(h) << 16);
}

// IEEE binary16. The subnormal path lets the FPU do the rounding by adding a magic
// number whose exponent lines the half's last mantissa bit up with the float's.
inline uint16_t float_to_f16_bits(float f) {
  const uint32_t f32_infinity = 255u << 23;
  const uint32_t f16_overflow = (127u + 16u) << 23;  // 2^16: everything above rounds to inf
  const uint32_t denorm_magic = ((127u - 15u) + (23u - 10u) + 1u) << 23;
  uint32_t u = float_bits(f);
  const uint32_t sign = u & 0x80000000u;
  u ^= sign;
  uint16_t out;
  if (u >= f16_overflow) {
    out = (u > f32_infinity) ? 0x7e00 : 0x7c00;
  } else if (u < (113u << 23)) {  // below 2^-14: the half is subnormal or zero
    float shifted = bits_float(u) + bits_float(denorm_magic);
    out = static_cast<uint16_t>(float_bits(shifted) - denorm_magic);
  } else {
    uint32_t mantissa_odd = (u >> 13) & 1u;
    u += (static_cast<uint32_t>(15 - 127) << 23) + 0xfffu;
    u += mantissa_odd;
    out = static_cast<uint16_t>(u >> 13);
  }
  return static_cast<uint16_t>(out | (sign >> 16));
}

inline float f16_bits_to_float(uint16_t h) {
  const uint32_t shifted_exponent = 0x7c00u << 13;
  uint32_t out = (h & 0x7fffu) << 13;
  const uint32_t exponent = shifted_exponent & out;
  out += (127u - 15u) << 23;
  if (exponent == shifted_exponent) {
    out += (128u - 16u) << 23;  // inf or NaN
  } else if (exponent == 0) {   // zero or subnormal: renormalise through the FPU
    out += 1u << 23;
    out = float_bits(bits_float(out) - bits_float(113u << 23));
  }
  return bits_float(out | (static_cast<uint32_t>(h & 0x8000u) << 16));
}

// Storage types for the 16-bit floats. They convert to and from float explicitly, so
// that no arithmetic ever happens in 16 bits by accident.
struct bf16 {
  uint16_t bits = 0;
  bf16() = default;
  explicit bf16(float f) : bits(float_to_bf16_bits(f)) {}
  explicit operator float() const { return bf16_bits_to_float(bits); }
};
struct f16 {
  uint16_t bits = 0;
  f16() = default;
  explicit f16(float f) : bits(float_to_f16_bits(f)) {}
  explicit operator float() const { return f16_bits_to_float(bits); }
};

template <typename T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::f32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::f64;
}
template <>
constexpr DType dtype_of<f16>() {
  return DType::f16;
}
template <>
constexpr DType dtype_of<bf16>() {
  return DType::bf16;
}
template <>
constexpr DType dtype_of<int32_t>() {
  return DType::i32;
}
template <>
constexpr DType dtype_of<int64_t>() {
  return DType::i64;
}
template <>
constexpr DType dtype_of<uint8_t>() {
  return DType::u8;
}
template <>
constexpr DType dtype_of<bool>() {
  return DType::boolean;
}

// Calls visit(T{}) with T the C++ storage type of `dtype`: one switch, written once,
// instead of a dispatch macro at every kernel call.
template <typename Visitor>
decltype(auto) visit_dtype(DType dtype, Visitor&& visit) {
  switch (dtype) {
    case DType::f32:
      return visit(float{});
    case DType::f16:
      return visit(f16{});
    case DType::bf16:
      return visit(bf16{});
    case DType::f64:
      return visit(double{});
    case DType::i32:
      return visit(int32_t{});
    case DType::i64:
      return visit(int64_t{});
    case DType::u8:
      return visit(uint8_t{});
    case DType::boolean:
      return visit(bool{});
  }
  return visit(float{});  // unreachable: every enumerator is handled above
}

}  // namespace fovea
