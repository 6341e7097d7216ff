// Softmax and losses: error messages, PyTorch's edge cases (everything ignored, huge
// logits), and autocast.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "engine/autocast.h"
#include "engine/ops/loss.h"
#include "engine/ops/softmax.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

Tensor indices(const std::vector<int64_t>& values) {
  return from_vector<int64_t>(values, {static_cast<int64_t>(values.size())});
}

TEST(Loss, CrossEntropyErrorsNameTheProblem) {
  const Tensor logits = zeros({4, 10});
  EXPECT_ERROR(cross_entropy(logits, indices({1, 2, 3})),
               "cross_entropy: target has shape [3] but logits have batch 4 ([4, 10])");
  EXPECT_ERROR(cross_entropy(logits, indices({1, 2, 12, 3})),
               "cross_entropy: target class 12 is out of range for 10 classes (sample 2)");
  EXPECT_ERROR(cross_entropy(logits, indices({1, -1, 2, 3})),
               "cross_entropy: target class -1 is out of range for 10 classes (sample 1)");
  EXPECT_ERROR(cross_entropy(logits, indices({1, 2, 3, 4}), {.weight = ones({5})}),
               "cross_entropy: weight has shape [5], expected [10]");
  EXPECT_ERROR(cross_entropy(zeros({4, 10}, {.dtype = DType::i64}), indices({1, 2, 3, 4})),
               "cross_entropy: logits must be a floating tensor, got i64 of shape [4, 10]");
  EXPECT_ERROR(cross_entropy(logits, zeros({4, 9})),
               "cross_entropy: soft target (class probabilities) has shape [4, 9], expected the "
               "logits' shape [4, 10]");
  EXPECT_ERROR(cross_entropy(logits, indices({1, 2, 3, 4}), {.label_smoothing = 1.5}),
               "cross_entropy: label_smoothing must be in [0, 1], got 1.5");
  EXPECT_ERROR(cross_entropy(logits, indices({1, 2, 3, 4}), {.label_smoothing = -0.1}),
               "label_smoothing must be in [0, 1], got -0.1");
  EXPECT_ERROR(cross_entropy(zeros({2, 3, 4}), indices({1, 2})),
               "cross_entropy: logits must be [N, C], got shape [2, 3, 4]");
  EXPECT_ERROR(cross_entropy(logits, zeros({4}, {.dtype = DType::boolean})),
               "cross_entropy: target must be class indices (i64 or i32) or class probabilities "
               "(floating), got bool of shape [4]");
  EXPECT_ERROR(cross_entropy(logits, zeros({4, 10}), {.ignore_index = 0}),
               "cross_entropy: ignore_index (0) is not supported with class-probability targets");
}

TEST(Loss, OtherLossesErrorsNameTheProblem) {
  const Tensor logits = zeros({4, 10});
  EXPECT_ERROR(nll_loss(logits, zeros({4})),
               "nll_loss: target must be class indices (i64 or i32), got f32 of shape [4]");
  EXPECT_ERROR(nll_loss(logits, indices({1, 2, 3})),
               "nll_loss: target has shape [3] but log_probs have batch 4 ([4, 10])");
  EXPECT_ERROR(nll_loss(logits, indices({0, 0, 0, 0}), ones({3})),
               "nll_loss: weight has shape [3], expected [10]");
  EXPECT_ERROR(focal_loss(logits, indices({0, 0, 10, 0})),
               "focal_loss: target class 10 is out of range for 10 classes (sample 2)");
  EXPECT_ERROR(focal_loss(logits, indices({0, 0, 0, 0}), {.alpha = ones({3})}),
               "focal_loss: alpha has shape [3], expected a single element or [10]");
  EXPECT_ERROR(focal_loss(logits, indices({0, 0, 0, 0}), {.gamma = -1.0}),
               "focal_loss: gamma must be >= 0, got -1");
  EXPECT_ERROR(binary_cross_entropy_with_logits(logits, zeros({4, 9})),
               "binary_cross_entropy_with_logits: target has shape [4, 9], expected the logits' "
               "shape [4, 10]");
  EXPECT_ERROR(binary_cross_entropy_with_logits(logits, zeros({4, 10}), Tensor(), ones({9})),
               "binary_cross_entropy_with_logits: pos_weight of shape [9] does not broadcast to "
               "the logits' shape [4, 10]");
  EXPECT_ERROR(binary_cross_entropy_with_logits(logits, zeros({4, 10}), ones({2, 4, 10})),
               "weight of shape [2, 4, 10] does not broadcast to the logits' shape [4, 10]");
  EXPECT_ERROR(mse_loss(zeros({3}), zeros({3, 1})),
               "mse_loss: input has shape [3] but target has shape [3, 1]");
  EXPECT_ERROR(softmax(zeros({3}, {.dtype = DType::i32}), 0),
               "softmax: input must be a floating tensor, got i32 of shape [3]");
  EXPECT_ERROR(log_softmax(zeros({3, 4}), 2), "dim 2 is out of range");
}

// PyTorch 1.13: a mean over no samples is 0/0 = NaN, for every variant, and its gradient
// is zero (nothing contributed). The sum is 0.
TEST(Loss, EverySampleIgnoredGivesNanMeanAndZeroGradient) {
  const Tensor target = indices({-100, -100, -100});
  for (const Tensor& weight : {Tensor(), ones({4})}) {
    for (double eps : {0.0, 0.1}) {
      Tensor logits = randn({3, 4});
      logits.requires_grad_();
      const Tensor loss = cross_entropy(logits, target, {.weight = weight, .label_smoothing = eps});
      EXPECT_TRUE(std::isnan(loss.item()));
      loss.backward();
      EXPECT_ALL_CLOSE(logits.grad(), zeros({3, 4}), 0, 0);
      EXPECT_EQ(
          cross_entropy(logits, target, {.weight = weight, .reduction = Reduction::sum}).item(),
          0.0);
    }
  }
  EXPECT_TRUE(std::isnan(nll_loss(zeros({3, 4}), target).item()));
  EXPECT_TRUE(std::isnan(focal_loss(zeros({3, 4}), target).item()));
}

TEST(Loss, HardAndSoftTargetsAgree) {
  // A one-hot soft target is the hard target, smoothing and weights aside (the weighted
  // mean denominators differ by design: sum of w[target] versus N).
  const Tensor logits = randn({5, 3});
  const Tensor hard = indices({0, 2, 1, 1, 0});
  Tensor one_hot = zeros({5, 3});
  for (int64_t r = 0; r < 5; ++r) {
    one_hot.select(0, r).select(0, hard.to_vector<int64_t>()[r]).fill_(1.0);
  }
  for (double eps : {0.0, 0.2}) {
    EXPECT_ALL_CLOSE(cross_entropy(logits, hard, {.label_smoothing = eps}),
                     cross_entropy(logits, one_hot, {.label_smoothing = eps}), 1e-6, 1e-6);
  }
}

TEST(Loss, HugeLogitsStayFinite) {
  const Tensor logits = from_vector<float>({1000, -1000, 0, 50, -50, 0}, {2, 3});
  const Tensor loss = cross_entropy(logits, indices({1, 0}), {.reduction = Reduction::none});
  EXPECT_ALL_CLOSE(loss, from_vector<float>({2000, 0}, {2}), 1e-3, 1e-6);
  const Tensor bce = binary_cross_entropy_with_logits(from_vector<float>({100, -100, 100}, {3}),
                                                      from_vector<float>({0, 1, 1}, {3}), Tensor(),
                                                      Tensor(), Reduction::none);
  EXPECT_ALL_CLOSE(bce, from_vector<float>({100, 100, 0}, {3}), 1e-4, 1e-6);
  const Tensor p = softmax(from_vector<float>({1000, 1000, -1000}, {3}), 0);
  EXPECT_ALL_CLOSE(p, from_vector<float>({0.5, 0.5, 0}, {3}), 1e-7, 0);
}

TEST(Loss, SoftmaxRowsSumToOneAlongAnyDim) {
  const Tensor x = randn({3, 70, 2});  // 70 > one block of lanes along a middle dim
  for (int64_t dim : {0, 1, 2}) {
    EXPECT_ALL_CLOSE(sum(softmax(x, dim), {dim}),
                     ones(dim == 0   ? Shape{70, 2}
                          : dim == 1 ? Shape{3, 2}
                                     : Shape{3, 70}),
                     1e-6, 0);
    EXPECT_ALL_CLOSE(exp(log_softmax(x, dim)), softmax(x, dim), 1e-6, 1e-5);
  }
  const Tensor middle = randn({2, 5, 130});  // inner 130: two full blocks and a partial one
  EXPECT_ALL_CLOSE(softmax(middle, 1),
                   softmax(middle.transpose(1, 2).contiguous(), -1).transpose(1, 2), 1e-7, 1e-6);
}

TEST(Loss, AutocastComputesInFloat32) {
  const Tensor logits = randn({4, 5}).to(DType::bf16);
  const Tensor target = indices({0, 1, 2, 3});
  {
    AutocastGuard autocast(DType::bf16);
    EXPECT_EQ(softmax(logits, -1).dtype(), DType::f32);
    EXPECT_EQ(log_softmax(logits, -1).dtype(), DType::f32);
    EXPECT_EQ(cross_entropy(logits, target).dtype(), DType::f32);
    EXPECT_EQ(focal_loss(logits, target).dtype(), DType::f32);
    EXPECT_EQ(mse_loss(logits, logits).dtype(), DType::f32);
  }
  // Outside autocast softmax keeps its dtype, and a loss is still f32.
  EXPECT_EQ(softmax(logits, -1).dtype(), DType::bf16);
  EXPECT_EQ(cross_entropy(logits, target).dtype(), DType::f32);
  EXPECT_EQ(binary_cross_entropy_with_logits(logits, zeros({4, 5}).to(DType::bf16)).dtype(),
            DType::f32);
  // The gradient comes back in the logits' own dtype.
  Tensor leaf = randn({4, 5}).to(DType::bf16);
  leaf.requires_grad_();
  cross_entropy(leaf, target).backward();
  EXPECT_EQ(leaf.grad().dtype(), DType::bf16);
}

TEST(Loss, TargetsReceiveNoGradient) {
  Tensor logits = randn({2, 3});
  Tensor soft = softmax(randn({2, 3}), -1).detach();
  logits.requires_grad_();
  soft.requires_grad_();
  cross_entropy(logits, soft).backward();
  EXPECT_TRUE(logits.grad().defined());
  EXPECT_FALSE(soft.grad().defined());
}

}  // namespace
}  // namespace fovea
