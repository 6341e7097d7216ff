// CPU reference for the fused optimizer updates (kernels/optimizer.h).
#include "kernels/optimizer.h"

#include <cmath>

#include "kernels/cpu/accumulate.h"

namespace fovea::kernels::cpu {

void adamw_step(const AdamWStep& s, float* param, const float* grad, float* exp_avg,
                float* exp_avg_sq, int64_t n) {
  const float decay = static_cast<float>(1.0 - s.lr * s.weight_decay);
  const float b1 = static_cast<float>(s.beta1), b2 = static_cast<float>(s.beta2);
  const float step_size = static_cast<float>(s.lr / (1.0 - std::pow(s.beta1, s.step)));
  const float inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(s.beta2, s.step)));
  const float eps = static_cast<float>(s.eps), scale = static_cast<float>(s.grad_scale);
  parallel_for(n, 8, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float g = grad[i] * scale;
      param[i] *= decay;
      exp_avg[i] += (1.0f - b1) * (g - exp_avg[i]);  // PyTorch's lerp form
      exp_avg_sq[i] = b2 * exp_avg_sq[i] + (1.0f - b2) * g * g;
      const float denom = std::sqrt(exp_avg_sq[i]) * inv_sqrt_bc2 + eps;
      param[i] -= step_size * exp_avg[i] / denom;
    }
  });
}

void sgd_step(const SgdStep& s, float* param, const float* grad, float* momentum_buffer,
              int64_t n) {
  const float lr = static_cast<float>(s.lr), wd = static_cast<float>(s.weight_decay);
  const float momentum = static_cast<float>(s.momentum), scale = static_cast<float>(s.grad_scale);
  parallel_for(n, 4, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float d = grad[i] * scale + wd * param[i];
      if (momentum != 0.0f) {
        momentum_buffer[i] = s.first ? d : momentum * momentum_buffer[i] + d;
        d = s.nesterov ? d + momentum * momentum_buffer[i] : momentum_buffer[i];
      }
      param[i] -= lr * d;
    }
  });
}

double sum_of_squares(const float* grad, int64_t n) {
  return sum_terms<double>(1, n, 1, [grad](int64_t, int64_t r, int64_t) {
    return static_cast<double>(grad[r]) * grad[r];
  })[0];
}

int64_t count_non_finite(const float* grad, int64_t n) {
  const double count = sum_terms<double>(1, n, 1, [grad](int64_t, int64_t r, int64_t) {
    return std::isfinite(grad[r]) ? 0.0 : 1.0;
  })[0];
  return static_cast<int64_t>(count);
}

}  // namespace fovea::kernels::cpu
