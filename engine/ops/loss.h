#pragma once
// Loss functions as differentiable ops, matching torch.nn.functional in PyTorch 1.13.
//
// Common rules:
// - Scores (logits, log-probabilities, inputs) compute in f32 under autocast, and f16/bf16
//   scores are always widened: a loss is f32 (f64 for f64 inputs), never 16-bit.
// - Gradients flow to the scores only. Targets, class weights, alpha and pos_weight are
//   constants: no gradient reaches them even if they require grad (PyTorch has none for
//   weights either). mse_loss is the exception: it is composed of ops and differentiates
//   both operands.
// - The classification losses take scores of shape [N, C] only. PyTorch's K-dimensional
//   form ([N, C, d1, ...]) is not supported; with fovea's channels-last layout a dense
//   prediction is [N, H, W, C] and reshape({-1, C}) gives the [N*H*W, C] this wants.
// - Reduction::mean of a loss with ignore_index divides by the (weighted) number of
//   samples that are not ignored. When every sample is ignored that is 0/0 and the loss
//   is NaN, as in PyTorch 1.13; its gradient is zero.
#include <cstdint>

#include "engine/tensor.h"

namespace fovea {

enum class Reduction { none, mean, sum };

struct CrossEntropyOptions {
  Tensor weight{};  // [C] class weights, or undefined
  int64_t ignore_index = -100;
  double label_smoothing = 0.0;  // in [0, 1]
  Reduction reduction = Reduction::mean;
};

// F.cross_entropy(logits, target, weight, ignore_index=, reduction=, label_smoothing=).
// logits: [N, C]. target: i64 (or i32) class indices [N], or floating class probabilities
// [N, C] (soft targets, e.g. from mixup or cutmix). Per sample, with p = softmax(logits):
//   index target y: (1 - eps) w_y (-log p_y) + (eps / C) sum_c w_c (-log p_c), 0 if ignored;
//                   mean divides both terms by the sum of w_y over the non-ignored samples.
//   soft target t:  -sum_c w_c (t_c (1 - eps) + eps / C) log p_c; mean divides by N.
// ignore_index applies to index targets only; with soft targets it must stay negative.
// One fused kernel: log-sum-exp forward, analytic backward ((sum_k q_k) softmax - q).
Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     const CrossEntropyOptions& options = {});

// F.nll_loss: log_probs [N, C], target class indices [N], optional weight [C]. The
// weighted mean divides by the sum of weight[target] over the non-ignored samples.
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const Tensor& weight = Tensor(),
                int64_t ignore_index = -100, Reduction reduction = Reduction::mean);

struct FocalLossOptions {
  double gamma = 2.0;  // >= 0; gamma = 0 is cross entropy weighted by alpha
  Tensor alpha{};      // undefined (1), a 1-element tensor (scalar alpha), or [C] per class
  Reduction reduction = Reduction::mean;
  int64_t ignore_index = -100;
};

// Multi-class focal loss (Lin et al., "Focal Loss for Dense Object Detection", 2017):
// FL_i = -alpha_{y_i} (1 - p_{y_i})^gamma log p_{y_i} with p = softmax(logits [N, C]) and
// class-index targets [N]. The mean is over the non-ignored samples (alpha does not
// normalise it). A fused kernel with an analytic backward.
Tensor focal_loss(const Tensor& logits, const Tensor& target, const FocalLossOptions& options = {});

// F.binary_cross_entropy_with_logits, the multi-label loss (CheXNet): logits of any shape,
// floating target of the same shape, weight broadcast to the logits' shape, pos_weight
// broadcast likewise (typically [C] over the last dim). Per element, stable for logits of
// any magnitude:  weight ((1 - t) x + (1 + (pos_weight - 1) t) log(1 + exp(-x))).
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        const Tensor& weight = Tensor(),
                                        const Tensor& pos_weight = Tensor(),
                                        Reduction reduction = Reduction::mean);

// F.mse_loss: (input - target)^2, input and target of the same shape (PyTorch would
// broadcast different shapes with a warning; here that is an error, as it is almost
// always a bug). Differentiable in both operands.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);

}  // namespace fovea
