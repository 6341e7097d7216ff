#pragma once
// Fused optimizer updates: one pass over a parameter, its gradient and its state, with
// the gradient's scale (loss-scale unscaling and norm clipping folded into one factor)
// applied on the fly. The CUDA version updates every parameter in one multi-tensor launch.
#include <cstdint>

namespace fovea::kernels {

// AdamW (Loshchilov & Hutter, 2019), as torch.optim.AdamW:
//   p *= 1 - lr * wd;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
struct AdamWStep {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  int64_t step = 1;         // 1 for the first update (bias correction)
  double grad_scale = 1.0;  // g is grad * grad_scale
};

// SGD with momentum, as torch.optim.SGD (dampening 0):
//   d = g + wd p;  buf = first ? d : momentum buf + d;  d = nesterov ? d + momentum buf : buf
//   p -= lr d
struct SgdStep {
  double lr = 0.1, momentum = 0.0, weight_decay = 0.0;
  bool nesterov = false;
  bool first = true;  // the momentum buffer starts as the first gradient
  double grad_scale = 1.0;
};

}  // namespace fovea::kernels

namespace fovea::kernels::cpu {

void adamw_step(const AdamWStep& s, float* param, const float* grad, float* exp_avg,
                float* exp_avg_sq, int64_t n);
void sgd_step(const SgdStep& s, float* param, const float* grad, float* momentum_buffer, int64_t n);

// Sum of squares, accumulated in double (for the global gradient norm).
double sum_of_squares(const float* grad, int64_t n);
// The number of inf/nan elements.
int64_t count_non_finite(const float* grad, int64_t n);

}  // namespace fovea::kernels::cpu
