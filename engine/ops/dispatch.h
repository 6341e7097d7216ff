#pragma once
// Small helpers every op uses: dtype dispatch to the kernels' template instances, the
// compute dtype of the CPU kernels, and device checks with clear errors.
#include <initializer_list>
#include <type_traits>

#include "engine/tensor.h"

namespace fovea {

// CPU kernels compute the 16-bit floats in f32 and round the result back; every other
// dtype computes in itself.
inline DType cpu_compute_dtype(DType dtype) {
  return (dtype == DType::f16 || dtype == DType::bf16) ? DType::f32 : dtype;
}

// visit(T{}) for T = float or double; anything else is an error naming `op`.
template <typename Visitor>
decltype(auto) visit_floating(DType dtype, const char* op, Visitor&& visit) {
  switch (dtype) {
    case DType::f32:
      return visit(float{});
    case DType::f64:
      return visit(double{});
    default:
      fail("{}: expected a floating tensor (f32 or f64 once widened), got {}", op,
           dtype_name(dtype));
  }
}

// visit(T{}) for float, double, int32_t and int64_t.
template <typename Visitor>
decltype(auto) visit_arithmetic(DType dtype, const char* op, Visitor&& visit) {
  switch (dtype) {
    case DType::f32:
      return visit(float{});
    case DType::f64:
      return visit(double{});
    case DType::i32:
      return visit(int32_t{});
    case DType::i64:
      return visit(int64_t{});
    default:
      fail("{}: expected an f32, f64, i32 or i64 tensor, got {}", op, dtype_name(dtype));
  }
}

// The raw data of an optional tensor as T* (the storage type the caller dispatched on), or
// null when it is undefined: the kernels' convention for "not given". Both halves of an op
// use it on tensors the op has already checked.
template <typename T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr;
}

// A fresh output of `shape`, or an undefined tensor when the caller does not want it (a
// gradient nobody asked for): the kernels then skip writing it.
inline Tensor output_if(bool wanted, const Shape& shape, DType dtype, Device device) {
  return wanted ? make_tensor(shape, dtype, device) : Tensor();
}

// All defined tensors must live on one device; returns it.
Device common_device(const char* op, std::initializer_list<const Tensor*> tensors);

// In-place ops refuse tensors that require grad while grad mode is on: the graph may
// have saved them, and fovea keeps no version counters to notice.
void check_inplace(const Tensor& self, const char* op);

// The tensor must be floating; names `op` and `what` ("weight", "input") in the error.
void check_floating(const Tensor& tensor, const char* op, const char* what);
// The tensor must have `ndim` dims.
void check_dim(const Tensor& tensor, int64_t ndim, const char* op, const char* what);

}  // namespace fovea
