#include "engine/ops/factory.h"

#include <cmath>

#include "engine/autograd.h"
#include "engine/ops/cpu/factory.h"
#include "engine/ops/cuda/factory.h"
#include "engine/profile.h"
#include "kernels/random.h"

namespace fovea {

namespace {

Tensor finish(Tensor t, const TensorOptions& options) {
  if (options.requires_grad) t.requires_grad_(true);
  return t;
}

// The computed values (f32 draws, f64 ranges) in the requested dtype.
Tensor typed(const Tensor& values, const TensorOptions& options) {
  NoGradGuard no_grad;
  return finish(values.to(options.dtype), options);
}

// Builds on the host, then moves: the numbers depend only on the generator state.
Tensor host_then_device(Tensor host, const TensorOptions& options) {
  Tensor placed = options.device.is_cpu() ? host : host.to(options.device);
  return finish(placed, options);
}

}  // namespace

Tensor empty(const Shape& shape, TensorOptions options) {
  return finish(make_tensor(shape, options.dtype, options.device), options);
}

Tensor full(const Shape& shape, double value, TensorOptions options) {
  const profile::OpScope scope("full");
  Tensor t = make_tensor(shape, options.dtype, options.device);
  {
    NoGradGuard no_grad;
    t.fill_(value);
  }
  return finish(t, options);
}

Tensor zeros(const Shape& shape, TensorOptions options) {
  return full(shape, 0.0, options);
}
Tensor ones(const Shape& shape, TensorOptions options) {
  return full(shape, 1.0, options);
}

Tensor empty_like(const Tensor& like) {
  return make_tensor(like.shape(), like.dtype(), like.device());
}
Tensor zeros_like(const Tensor& like) {
  return full_like(like, 0.0);
}
Tensor ones_like(const Tensor& like) {
  return full_like(like, 1.0);
}
Tensor full_like(const Tensor& like, double value) {
  return full(like.shape(), value, {.dtype = like.dtype(), .device = like.device()});
}

Tensor arange(double start, double end, double step, TensorOptions options) {
  const profile::OpScope scope("arange");
  FOVEA_CHECK(step != 0.0, "arange: step must be non-zero");
  const double span = (end - start) / step;
  const int64_t n = span > 0 ? static_cast<int64_t>(std::ceil(span)) : 0;
  // The same f64 values on every device, then cast.
  switch (options.device.type) {
    case DeviceType::CPU:
      return typed(cpu::arange(n, start, step, options.device), options);
    case DeviceType::CUDA:
      return typed(cuda::arange(n, start, step, options.device), options);
  }
  fail("arange: unknown device {}", options.device.str());
}

Tensor arange(int64_t end, TensorOptions options) {
  return arange(0.0, static_cast<double>(end), 1.0, options);
}

Tensor rand(const Shape& shape, TensorOptions options, Generator* generator) {
  const profile::OpScope scope("rand");
  Generator& gen = generator ? *generator : default_generator();
  const int64_t n = shape_numel(shape);
  const RngState state = gen.reserve(static_cast<uint64_t>(n));
  switch (options.device.type) {
    case DeviceType::CPU:
      return typed(cpu::uniform(shape, state, options.device), options);
    case DeviceType::CUDA:
      return typed(cuda::uniform(shape, state, options.device), options);
  }
  fail("rand: unknown device {}", options.device.str());
}

Tensor randn(const Shape& shape, TensorOptions options, Generator* generator) {
  const profile::OpScope scope("randn");
  Generator& gen = generator ? *generator : default_generator();
  const int64_t n = shape_numel(shape);
  const int64_t pairs = (n + 1) / 2;
  const RngState state = gen.reserve(static_cast<uint64_t>(2 * pairs));
  switch (options.device.type) {
    case DeviceType::CPU:
      return typed(cpu::normal(shape, state, options.device), options);
    case DeviceType::CUDA:
      return typed(cuda::normal(shape, state, options.device), options);
  }
  fail("randn: unknown device {}", options.device.str());
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions options,
               Generator* generator) {
  const profile::OpScope scope("randint");
  FOVEA_CHECK(high > low, "randint: high ({}) must be greater than low ({})", high, low);
  Generator& gen = generator ? *generator : default_generator();
  const int64_t n = shape_numel(shape);
  const RngState state = gen.reserve(static_cast<uint64_t>(2 * n));
  Tensor host = make_tensor(shape, DType::i64, Device::cpu());
  int64_t* out = host.data<int64_t>();
  const uint64_t range = static_cast<uint64_t>(high - low);
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t bits =
        (static_cast<uint64_t>(kernels::philox_draw(state.seed, state.offset, 2 * i)) << 32) |
        kernels::philox_draw(state.seed, state.offset, 2 * i + 1);
    out[i] = low + static_cast<int64_t>(bits % range);
  }
  return host_then_device(options.dtype == DType::i64 ? host : host.to(options.dtype), options);
}

Tensor from_blob(const void* data, const Shape& shape, DType dtype, TensorOptions options) {
  const profile::OpScope scope("from_blob");
  Tensor host = make_tensor(shape, dtype, Device::cpu());
  std::memcpy(host.raw_data(), data, host.nbytes());
  Tensor typed = options.dtype == dtype ? host : host.to(options.dtype);
  return host_then_device(typed, options);
}

}  // namespace fovea
