// The CPU half of the computed factories.
#include "engine/ops/cpu/factory.h"

#include "kernels/random.h"

namespace fovea::cpu {

Tensor uniform(const Shape& shape, RngState state, Device device) {
  Tensor out = make_tensor(shape, DType::f32, device);
  kernels::cpu::fill_uniform(out.data<float>(), out.numel(), state.seed, state.offset);
  return out;
}

Tensor normal(const Shape& shape, RngState state, Device device) {
  Tensor out = make_tensor(shape, DType::f32, device);
  kernels::cpu::fill_normal(out.data<float>(), out.numel(), state.seed, state.offset);
  return out;
}

Tensor arange(int64_t n, double start, double step, Device device) {
  Tensor out = make_tensor({n}, DType::f64, device);
  double* values = out.data<double>();
  for (int64_t i = 0; i < n; ++i) values[i] = start + static_cast<double>(i) * step;
  return out;
}

}  // namespace fovea::cpu
