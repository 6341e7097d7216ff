// CPU reference for binary cross entropy with logits (kernels/loss.h), the multi-label
// loss. It is written in PyTorch's stable form: with m = max(-x, 0),
//   log(1 + e^-x) = m + log(e^-m + e^(-x-m)),
// neither exponent is positive, so logits of any magnitude give finite losses.
#include <algorithm>
#include <cmath>

#include "kernels/cpu/parallel.h"
#include "kernels/loss.h"

namespace fovea::kernels::cpu {

template <typename T>
void bce_with_logits_forward(const Loop<5>& loop, T* loss, const T* x, const T* target,
                             const T* weight, const T* pos_weight) {
  const int64_t s0 = loop.inner_stride(0), s1 = loop.inner_stride(1), s2 = loop.inner_stride(2);
  const int64_t s3 = loop.inner_stride(3), s4 = loop.inner_stride(4);
  for_each_row(loop, [&](const int64_t* off, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      const T v = x[off[1] + i * s1], t = target[off[2] + i * s2];
      const T w = weight[off[3] + i * s3], pw = pos_weight[off[4] + i * s4];
      const T m = std::max(-v, T(0));
      const T softplus_neg = m + std::log(std::exp(-m) + std::exp(-v - m));
      loss[off[0] + i * s0] = w * ((T(1) - t) * v + (T(1) + (pw - T(1)) * t) * softplus_neg);
    }
  });
}

template <typename T>
void bce_with_logits_backward(const Loop<6>& loop, double scale, T* grad_x, const T* grad_loss,
                              const T* x, const T* target, const T* weight, const T* pos_weight) {
  const int64_t s0 = loop.inner_stride(0), s1 = loop.inner_stride(1), s2 = loop.inner_stride(2);
  const int64_t s3 = loop.inner_stride(3), s4 = loop.inner_stride(4), s5 = loop.inner_stride(5);
  const T c = static_cast<T>(scale);
  for_each_row(loop, [&](const int64_t* off, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      const T g = grad_loss[off[1] + i * s1], v = x[off[2] + i * s2], t = target[off[3] + i * s3];
      const T w = weight[off[4] + i * s4], pw = pos_weight[off[5] + i * s5];
      const T sigmoid = T(1) / (T(1) + std::exp(-v));
      const T positive = pw * t;
      grad_x[off[0] + i * s0] = g * c * w * ((positive + T(1) - t) * sigmoid - positive);
    }
  });
}

template void bce_with_logits_forward<float>(const Loop<5>&, float*, const float*, const float*,
                                             const float*, const float*);
template void bce_with_logits_forward<double>(const Loop<5>&, double*, const double*, const double*,
                                              const double*, const double*);
template void bce_with_logits_backward<float>(const Loop<6>&, double, float*, const float*,
                                              const float*, const float*, const float*,
                                              const float*);
template void bce_with_logits_backward<double>(const Loop<6>&, double, double*, const double*,
                                               const double*, const double*, const double*,
                                               const double*);

}  // namespace fovea::kernels::cpu
