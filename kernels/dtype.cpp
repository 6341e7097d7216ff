#include "kernels/dtype.h"

#include "kernels/error.h"

namespace fovea {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::f32: return 4;
    case DType::f16: return 2;
    case DType::bf16: return 2;
    case DType::f64: return 8;
    case DType::i32: return 4;
    case DType::i64: return 8;
    case DType::u8: return 1;
    case DType::boolean: return 1;
  }
  fail("dtype_size: unknown dtype {}", static_cast<int>(dtype));
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "f32";
    case DType::f16: return "f16";
    case DType::bf16: return "bf16";
    case DType::f64: return "f64";
    case DType::i32: return "i32";
    case DType::i64: return "i64";
    case DType::u8: return "u8";
    case DType::boolean: return "bool";
  }
  return "?";
}

const char* dtype_torch_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "torch.float32";
    case DType::f16: return "torch.float16";
    case DType::bf16: return "torch.bfloat16";
    case DType::f64: return "torch.float64";
    case DType::i32: return "torch.int32";
    case DType::i64: return "torch.int64";
    case DType::u8: return "torch.uint8";
    case DType::boolean: return "torch.bool";
  }
  return "?";
}

DType dtype_from_name(const std::string& name) {
  for (DType d : {DType::f32, DType::f16, DType::bf16, DType::f64, DType::i32, DType::i64,
                  DType::u8, DType::boolean}) {
    if (name == dtype_name(d)) return d;
  }
  fail("unknown dtype '{}': expected one of f32, f16, bf16, f64, i32, i64, u8, bool", name);
}

bool is_floating(DType dtype) {
  return dtype == DType::f32 || dtype == DType::f16 || dtype == DType::bf16 ||
         dtype == DType::f64;
}

bool is_integral(DType dtype) { return !is_floating(dtype); }

namespace {
// Rank within a category: a higher rank wins.
int float_rank(DType d) {
  switch (d) {
    case DType::f16: return 1;
    case DType::bf16: return 1;
    case DType::f32: return 2;
    case DType::f64: return 3;
    default: return 0;
  }
}
int int_rank(DType d) {
  switch (d) {
    case DType::boolean: return 0;
    case DType::u8: return 1;
    case DType::i32: return 2;
    case DType::i64: return 3;
    default: return -1;
  }
}
}  // namespace

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  const bool fa = is_floating(a), fb = is_floating(b);
  if (fa && !fb) return a;
  if (fb && !fa) return b;
  if (fa && fb) {
    // f16 and bf16 have no common 16-bit type: like PyTorch, they meet at f32.
    if (float_rank(a) == 1 && float_rank(b) == 1) return DType::f32;
    return float_rank(a) > float_rank(b) ? a : b;
  }
  return int_rank(a) > int_rank(b) ? a : b;
}

}  // namespace fovea
