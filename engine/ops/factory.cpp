#include "engine/ops/factory.h"

#include <cmath>

#include "engine/autograd.h"
#include "kernels/random.h"

#ifdef FOVEA_HAS_CUDA
#include "engine/ops/cuda/random.h"
#endif

namespace fovea {

namespace {

Tensor finish(Tensor t, const TensorOptions& options) {
  if (options.requires_grad) t.requires_grad_(true);
  return t;
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
  FOVEA_CHECK(step != 0.0, "arange: step must be non-zero");
  const double span = (end - start) / step;
  const int64_t n = span > 0 ? static_cast<int64_t>(std::ceil(span)) : 0;
#ifdef FOVEA_HAS_CUDA
  if (options.device.is_cuda()) {  // the same f64 values, cast on the device
    NoGradGuard no_grad;
    return finish(arange_cuda(n, start, step, options.device).to(options.dtype), options);
  }
#endif
  std::vector<double> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) values[i] = start + static_cast<double>(i) * step;
  Tensor host = make_tensor({n}, DType::f64, Device::cpu());
  std::copy(values.begin(), values.end(), host.data<double>());
  return host_then_device(host.to(options.dtype), options);
}

Tensor arange(int64_t end, TensorOptions options) {
  return arange(0.0, static_cast<double>(end), 1.0, options);
}

Tensor rand(const Shape& shape, TensorOptions options, Generator* generator) {
  Generator& gen = generator ? *generator : default_generator();
  const int64_t n = shape_numel(shape);
  const RngState state = gen.reserve(static_cast<uint64_t>(n));
#ifdef FOVEA_HAS_CUDA
  if (options.device.is_cuda()) {
    NoGradGuard no_grad;
    return finish(uniform_cuda(shape, state, options.device).to(options.dtype), options);
  }
#endif
  Tensor host = make_tensor(shape, DType::f32, Device::cpu());
  kernels::cpu::fill_uniform(host.data<float>(), n, state.seed, state.offset);
  return host_then_device(options.dtype == DType::f32 ? host : host.to(options.dtype), options);
}

Tensor randn(const Shape& shape, TensorOptions options, Generator* generator) {
  Generator& gen = generator ? *generator : default_generator();
  const int64_t n = shape_numel(shape);
  const int64_t pairs = (n + 1) / 2;
  const RngState state = gen.reserve(static_cast<uint64_t>(2 * pairs));
#ifdef FOVEA_HAS_CUDA
  if (options.device.is_cuda()) {
    NoGradGuard no_grad;
    return finish(normal_cuda(shape, state, options.device).to(options.dtype), options);
  }
#endif
  Tensor host = make_tensor(shape, DType::f32, Device::cpu());
  kernels::cpu::fill_normal(host.data<float>(), n, state.seed, state.offset);
  return host_then_device(options.dtype == DType::f32 ? host : host.to(options.dtype), options);
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions options,
               Generator* generator) {
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
  Tensor host = make_tensor(shape, dtype, Device::cpu());
  std::memcpy(host.raw_data(), data, host.nbytes());
  Tensor typed = options.dtype == dtype ? host : host.to(options.dtype);
  return host_then_device(typed, options);
}

}  // namespace fovea
