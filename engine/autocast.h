#pragma once
// Autocast, as torch.autocast does it: inside an AutocastGuard, ops that gain from tensor
// cores (matmul, linear, conv, attention) cast their floating inputs to the autocast
// dtype (bf16 or f16) and accumulate in f32, while ops that need range or precision
// (norms, softmax, losses, reductions, exp/log/pow) compute in f32. Master weights stay
// f32; the casts are differentiable, so gradients arrive back in f32.
#include "kernels/dtype.h"
#include "engine/tensor.h"

namespace fovea {

struct AutocastState {
  bool enabled = false;
  DType dtype = DType::bf16;
};

AutocastState autocast_state();  // this thread's
void set_autocast_state(AutocastState state);

class AutocastGuard {
 public:
  // `dtype` must be bf16 or f16.
  explicit AutocastGuard(DType dtype, bool enabled = true);
  explicit AutocastGuard(AutocastState state);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  AutocastState previous_;
};

enum class AutocastPolicy {
  lower_precision,  // matmul, linear, conv2d, attention
  fp32,             // norms, softmax, losses, reductions
};

// The tensor an op of `policy` should compute on under the current autocast state.
// Non-floating and f64 tensors, and everything outside autocast, pass through.
Tensor autocast(const Tensor& tensor, AutocastPolicy policy);

}  // namespace fovea
