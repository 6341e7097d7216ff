#include "engine/autocast.h"

namespace fovea {

namespace {
thread_local AutocastState tls_autocast;
}

AutocastState autocast_state() { return tls_autocast; }
void set_autocast_state(AutocastState state) { tls_autocast = state; }

AutocastGuard::AutocastGuard(DType dtype, bool enabled) : previous_(tls_autocast) {
  FOVEA_CHECK(dtype == DType::bf16 || dtype == DType::f16,
              "AutocastGuard: dtype must be bf16 or f16, got {}", dtype_name(dtype));
  tls_autocast = {enabled, dtype};
}

AutocastGuard::AutocastGuard(AutocastState state) : previous_(tls_autocast) {
  tls_autocast = state;
}

AutocastGuard::~AutocastGuard() { tls_autocast = previous_; }

Tensor autocast(const Tensor& tensor, AutocastPolicy policy) {
  if (!tls_autocast.enabled || !tensor.defined()) return tensor;
  const DType dtype = tensor.dtype();
  switch (policy) {
    case AutocastPolicy::lower_precision:
      return (is_floating(dtype) && dtype != DType::f64 && dtype != tls_autocast.dtype)
                 ? tensor.to(tls_autocast.dtype)
                 : tensor;
    case AutocastPolicy::fp32:
      return (dtype == DType::f16 || dtype == DType::bf16) ? tensor.to(DType::f32) : tensor;
  }
  return tensor;
}

}  // namespace fovea
