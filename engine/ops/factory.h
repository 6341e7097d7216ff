#pragma once
// Tensor factories: constants, ranges, random tensors and tensors from host data.
#include <vector>

#include "engine/rng.h"
#include "engine/tensor.h"

namespace fovea {

struct TensorOptions {
  DType dtype = DType::f32;
  Device device = Device::cpu();
  bool requires_grad = false;
};

Tensor empty(const Shape& shape, TensorOptions options = {});  // uninitialised
Tensor zeros(const Shape& shape, TensorOptions options = {});
Tensor ones(const Shape& shape, TensorOptions options = {});
Tensor full(const Shape& shape, double value, TensorOptions options = {});
// Same shape, dtype and device as `like` (contiguous).
Tensor empty_like(const Tensor& like);
Tensor zeros_like(const Tensor& like);
Tensor ones_like(const Tensor& like);
Tensor full_like(const Tensor& like, double value);

// [start, end) in steps of `step`.
Tensor arange(double start, double end, double step = 1.0, TensorOptions options = {});
Tensor arange(int64_t end, TensorOptions options = {.dtype = DType::i64});

// Uniform on [0, 1) and standard normal, drawn with Philox from `generator` (the default
// generator when null), so the same seed gives the same numbers on every device.
Tensor rand(const Shape& shape, TensorOptions options = {}, Generator* generator = nullptr);
Tensor randn(const Shape& shape, TensorOptions options = {}, Generator* generator = nullptr);
// Integers uniform on [low, high).
Tensor randint(int64_t low, int64_t high, const Shape& shape,
               TensorOptions options = {.dtype = DType::i64}, Generator* generator = nullptr);

// A copy of host memory holding shape_numel(shape) elements of `dtype`.
Tensor from_blob(const void* data, const Shape& shape, DType dtype, TensorOptions options = {});
// A tensor of T's dtype holding `values` in row-major order.
template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape,
                   Device device = Device::cpu()) {
  FOVEA_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape),
              "from_vector: {} values given for shape {} ({} elements)", values.size(),
              shape_str(shape), shape_numel(shape));
  return from_blob(values.data(), shape, dtype_of<T>(), {.dtype = dtype_of<T>(), .device = device});
}

}  // namespace fovea
