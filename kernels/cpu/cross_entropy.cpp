// CPU reference for cross entropy, the negative log-likelihood and the focal loss, a
// cross entropy modulated per sample (kernels/loss.h).
//
// Cross entropy is one pass per row: a log-sum-exp with the maximum subtracted, then
// loss = sum_k q_k (lse - z_k) for the row's target distribution q. The backward needs
// only the logits and the saved lse: d loss / d z_k = (sum_j q_j) softmax_k - q_k. Hard
// targets, soft targets, class weights and label smoothing are all the same formula with
// a different q, which is what keeps every combination consistent with PyTorch.
//
// The focal loss is a function of l = log p_y alone, f(l) = -alpha (1 - e^l)^gamma l, so
// its gradient is f'(l) ([k == y] - softmax_k), again from the logits and the saved lse.
#include <cmath>

#include "kernels/cpu/parallel.h"
#include "kernels/loss.h"

namespace fovea::kernels::cpu {

namespace {

template <typename T>
bool ignored(const ClassTargets<T>& targets, int64_t r) {
  return targets.target_index != nullptr && targets.target_index[r] == targets.ignore_index;
}

// q_k of row r (see kernels/loss.h); the row must not be ignored.
template <typename T>
double target_mass(const ClassTargets<T>& targets, double eps, int64_t r, int64_t k) {
  const double w = targets.weight ? static_cast<double>(targets.weight[k]) : 1.0;
  const double uniform = eps / static_cast<double>(targets.classes);
  if (targets.target_probs) {
    const double t = targets.target_probs[r * targets.classes + k];
    return w * (t * (1.0 - eps) + uniform);
  }
  return w * (uniform + (k == targets.target_index[r] ? 1.0 - eps : 0.0));
}

template <typename T>
double log_sum_exp(const T* z, int64_t n) {
  if (n == 0) return -INFINITY;
  T max = z[0];
  for (int64_t k = 1; k < n; ++k) max = (z[k] > max || z[k] != z[k]) ? z[k] : max;
  if (std::isinf(max)) return max;  // all -inf, or an +inf logit
  double sum = 0;
  for (int64_t k = 0; k < n; ++k) sum += std::exp(z[k] - max);
  return static_cast<double>(max) + std::log(sum);
}

template <typename T>
double focal_alpha(const FocalParams& params, const T* alpha, int64_t target) {
  if (params.alpha_size == 0) return 1.0;
  return static_cast<double>(alpha[params.alpha_size == 1 ? 0 : target]);
}

}  // namespace

template <typename T>
double target_weight_sum(const ClassTargets<T>& targets) {
  if (targets.target_probs) return static_cast<double>(targets.rows);
  double total = 0;
  for (int64_t r = 0; r < targets.rows; ++r) {
    if (ignored(targets, r)) continue;
    total += targets.weight ? static_cast<double>(targets.weight[targets.target_index[r]]) : 1.0;
  }
  return total;
}

template <typename T>
void cross_entropy_forward(const ClassTargets<T>& targets, double label_smoothing, const T* logits,
                           T* loss, double* lse) {
  const int64_t classes = targets.classes;
  parallel_for(targets.rows, classes, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* z = logits + r * classes;
      const double row_lse = log_sum_exp(z, classes);
      lse[r] = row_lse;
      if (ignored(targets, r)) {
        loss[r] = T(0);
        continue;
      }
      double total = 0;
      for (int64_t k = 0; k < classes; ++k) {
        const double q = target_mass(targets, label_smoothing, r, k);
        // Skipping q == 0 keeps a masked -inf logit from turning 0 * inf into NaN.
        if (q != 0) total += q * (row_lse - static_cast<double>(z[k]));
      }
      loss[r] = static_cast<T>(total);
    }
  });
}

template <typename T>
void cross_entropy_backward(const ClassTargets<T>& targets, double label_smoothing, const T* logits,
                            const double* lse, const T* grad_loss, int64_t grad_stride,
                            double scale, T* grad_logits) {
  const int64_t classes = targets.classes;
  parallel_for(targets.rows, classes, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      T* grad = grad_logits + r * classes;
      if (ignored(targets, r)) {
        for (int64_t k = 0; k < classes; ++k) grad[k] = T(0);
        continue;
      }
      double mass = 0;
      for (int64_t k = 0; k < classes; ++k) mass += target_mass(targets, label_smoothing, r, k);
      const double g = static_cast<double>(grad_loss[r * grad_stride]) * scale;
      const T* z = logits + r * classes;
      for (int64_t k = 0; k < classes; ++k) {
        const double p = std::exp(static_cast<double>(z[k]) - lse[r]);
        grad[k] = static_cast<T>(g * (mass * p - target_mass(targets, label_smoothing, r, k)));
      }
    }
  });
}

template <typename T>
void nll_forward(const ClassTargets<T>& targets, const T* log_probs, T* loss) {
  for (int64_t r = 0; r < targets.rows; ++r) {
    if (ignored(targets, r)) {
      loss[r] = T(0);
      continue;
    }
    const int64_t y = targets.target_index[r];
    const T w = targets.weight ? targets.weight[y] : T(1);
    loss[r] = -w * log_probs[r * targets.classes + y];
  }
}

template <typename T>
void nll_backward(const ClassTargets<T>& targets, const T* grad_loss, int64_t grad_stride,
                  double scale, T* grad_log_probs) {
  const int64_t classes = targets.classes;
  for (int64_t i = 0; i < targets.rows * classes; ++i) grad_log_probs[i] = T(0);
  for (int64_t r = 0; r < targets.rows; ++r) {
    if (ignored(targets, r)) continue;
    const int64_t y = targets.target_index[r];
    const double w = targets.weight ? static_cast<double>(targets.weight[y]) : 1.0;
    grad_log_probs[r * classes + y] =
        static_cast<T>(-w * static_cast<double>(grad_loss[r * grad_stride]) * scale);
  }
}

template <typename T>
void focal_forward(const ClassTargets<T>& targets, const FocalParams& params, const T* alpha,
                   const T* logits, T* loss, double* lse) {
  const int64_t classes = targets.classes;
  parallel_for(targets.rows, classes, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* z = logits + r * classes;
      lse[r] = log_sum_exp(z, classes);
      if (ignored(targets, r)) {
        loss[r] = T(0);
        continue;
      }
      const int64_t y = targets.target_index[r];
      const double log_p = static_cast<double>(z[y]) - lse[r];
      const double one_minus_p = -std::expm1(log_p);  // exact even when p is close to 1
      const double a = focal_alpha(params, alpha, y);
      loss[r] = static_cast<T>(-a * std::pow(one_minus_p, params.gamma) * log_p);
    }
  });
}

template <typename T>
void focal_backward(const ClassTargets<T>& targets, const FocalParams& params, const T* alpha,
                    const T* logits, const double* lse, const T* grad_loss, int64_t grad_stride,
                    double scale, T* grad_logits) {
  const int64_t classes = targets.classes;
  const double gamma = params.gamma;
  parallel_for(targets.rows, classes, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      T* grad = grad_logits + r * classes;
      if (ignored(targets, r)) {
        for (int64_t k = 0; k < classes; ++k) grad[k] = T(0);
        continue;
      }
      const T* z = logits + r * classes;
      const int64_t y = targets.target_index[r];
      const double log_p = static_cast<double>(z[y]) - lse[r];
      const double p = std::exp(log_p), one_minus_p = -std::expm1(log_p);
      // f'(l) = -alpha ((1 - p)^gamma - gamma p l (1 - p)^(gamma - 1)). The second term
      // tends to 0 as p -> 1 for every gamma > 0; written out it would be 0 * inf there.
      const double modulating_slope = gamma != 0 && one_minus_p > 0
                                          ? gamma * p * log_p * std::pow(one_minus_p, gamma - 1)
                                          : 0.0;
      const double slope =
          -focal_alpha(params, alpha, y) * (std::pow(one_minus_p, gamma) - modulating_slope);
      const double g = static_cast<double>(grad_loss[r * grad_stride]) * scale * slope;
      for (int64_t k = 0; k < classes; ++k) {
        const double softmax = std::exp(static_cast<double>(z[k]) - lse[r]);
        grad[k] = static_cast<T>(g * ((k == y ? 1.0 : 0.0) - softmax));
      }
    }
  });
}

template double target_weight_sum<float>(const ClassTargets<float>&);
template double target_weight_sum<double>(const ClassTargets<double>&);
template void cross_entropy_forward<float>(const ClassTargets<float>&, double, const float*, float*,
                                           double*);
template void cross_entropy_forward<double>(const ClassTargets<double>&, double, const double*,
                                            double*, double*);
template void cross_entropy_backward<float>(const ClassTargets<float>&, double, const float*,
                                            const double*, const float*, int64_t, double, float*);
template void cross_entropy_backward<double>(const ClassTargets<double>&, double, const double*,
                                             const double*, const double*, int64_t, double,
                                             double*);
template void nll_forward<float>(const ClassTargets<float>&, const float*, float*);
template void nll_forward<double>(const ClassTargets<double>&, const double*, double*);
template void nll_backward<float>(const ClassTargets<float>&, const float*, int64_t, double,
                                  float*);
template void nll_backward<double>(const ClassTargets<double>&, const double*, int64_t, double,
                                   double*);
template void focal_forward<float>(const ClassTargets<float>&, const FocalParams&, const float*,
                                   const float*, float*, double*);
template void focal_forward<double>(const ClassTargets<double>&, const FocalParams&, const double*,
                                    const double*, double*, double*);
template void focal_backward<float>(const ClassTargets<float>&, const FocalParams&, const float*,
                                    const float*, const double*, const float*, int64_t, double,
                                    float*);
template void focal_backward<double>(const ClassTargets<double>&, const FocalParams&, const double*,
                                     const double*, const double*, const double*, int64_t, double,
                                     double*);

}  // namespace fovea::kernels::cpu
