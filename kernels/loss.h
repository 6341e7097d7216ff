#pragma once
// Classification and regression losses as fused kernels, forward and backward.
//
// The classification kernels take contiguous [rows, classes] scores and write one loss per
// row; the op reduces them (engine/ops/loss.cpp). Their backward writes the gradient of
// the scores directly, given the upstream gradient per row: grad_loss[r * grad_stride]
// (grad_stride 0 broadcasts the single gradient of a summed loss) times `scale` (1 for
// sum and none, 1 / denominator for mean). Rows whose target is ignored get a zero
// gradient whatever the scale, so a mean over no samples (0/0 = NaN) still backpropagates
// zeros, as PyTorch does.
#include <cstdint>

#include "kernels/loop.h"

namespace fovea::kernels {

// The targets and class weights of a classification loss over [rows, classes] scores.
// Exactly one of target_index and target_probs is set. T: float, double.
template <typename T>
struct ClassTargets {
  int64_t rows = 0;
  int64_t classes = 0;
  const int64_t* target_index = nullptr;  // [rows] class indices, already range-checked
  const T* target_probs = nullptr;        // [rows, classes] class probabilities
  const T* weight = nullptr;              // [classes] class weights, or null for all 1
  int64_t ignore_index = -100;            // rows whose target_index equals it count for nothing
};

// ---- multi-class focal loss (Lin et al., 2017), index targets only ----
// loss_r = -alpha_y (1 - p_y)^gamma log p_y with p = softmax(z). `alpha` has alpha_size
// elements: 0 (alpha = 1), 1 (one alpha for every class) or `classes` (per class);
// targets.weight is not used.
struct FocalParams {
  double gamma = 2.0;
  int64_t alpha_size = 0;
};

}  // namespace fovea::kernels

namespace fovea::kernels::cpu {

// The denominator of a mean: the sum of weight[target] over the rows that are not ignored
// (their count without weights), or `rows` for probability targets.
template <typename T>
double target_weight_sum(const ClassTargets<T>& targets);

// ---- cross entropy (fused log-softmax and negative log-likelihood) ----
// Row r has a target distribution q over the classes, weights included:
//   index targets:       q_k = w_y (1 - eps) [k == y] + w_k eps / C   (0 if y is ignored)
//   probability targets: q_k = w_k (t_k (1 - eps) + eps / C)
// and loss_r = sum_k q_k (lse_r - z_k), lse_r = log sum_k exp z_k (kept in double for the
// backward). That is PyTorch 1.13's
// F.cross_entropy per sample: the label-smoothing term -sum_c w_c log p_c included.
template <typename T>
void cross_entropy_forward(const ClassTargets<T>& targets, double label_smoothing, const T* logits,
                           T* loss, double* lse);

// grad_logits_rk = g_r scale ((sum_j q_j) softmax_k - q_k), softmax from the saved lse.
template <typename T>
void cross_entropy_backward(const ClassTargets<T>& targets, double label_smoothing, const T* logits,
                            const double* lse, const T* grad_loss, int64_t grad_stride,
                            double scale, T* grad_logits);

// ---- negative log-likelihood over log-probabilities (index targets only) ----
// loss_r = -w_y log_probs[r, y]; grad[r, y] = -w_y g_r scale, zero elsewhere.
template <typename T>
void nll_forward(const ClassTargets<T>& targets, const T* log_probs, T* loss);
template <typename T>
void nll_backward(const ClassTargets<T>& targets, const T* grad_loss, int64_t grad_stride,
                  double scale, T* grad_log_probs);
template <typename T>
void focal_forward(const ClassTargets<T>& targets, const FocalParams& params, const T* alpha,
                   const T* logits, T* loss, double* lse);
template <typename T>
void focal_backward(const ClassTargets<T>& targets, const FocalParams& params, const T* alpha,
                    const T* logits, const double* lse, const T* grad_loss, int64_t grad_stride,
                    double scale, T* grad_logits);

// ---- binary cross entropy with logits, elementwise over a broadcast loop ----
// Operands of the forward loop: loss, x, target, weight, pos_weight. With
// m = max(-x, 0) and softplus(-x) = m + log(exp(-m) + exp(-x - m)) (never overflows):
//   loss = weight ((1 - t) x + (1 + (pos_weight - 1) t) softplus(-x))
template <typename T>
void bce_with_logits_forward(const Loop<5>& loop, T* loss, const T* x, const T* target,
                             const T* weight, const T* pos_weight);
// Operands: grad_x, grad_loss, x, target, weight, pos_weight.
//   grad_x = grad_loss scale weight ((pos_weight t + 1 - t) sigmoid(x) - pos_weight t)
template <typename T>
void bce_with_logits_backward(const Loop<6>& loop, double scale, T* grad_x, const T* grad_loss,
                              const T* x, const T* target, const T* weight, const T* pos_weight);

}  // namespace fovea::kernels::cpu
