// Finite-difference checks, in f64, of softmax, log_softmax and every loss: the fused
// kernels' analytic backward against the forward.
#include <gtest/gtest.h>

#include "engine/ops/loss.h"
#include "engine/ops/softmax.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::gradcheck;
using testing::random_leaf;

constexpr int64_t kIgnore = -100;
const Reduction kReductions[] = {Reduction::mean, Reduction::sum, Reduction::none};

Tensor indices(const std::vector<int64_t>& values) {
  return from_vector<int64_t>(values, {static_cast<int64_t>(values.size())});
}

// Rows of a [rows, classes] f64 tensor that sum to 1 (soft targets).
Tensor probabilities(int64_t rows, int64_t classes, uint64_t seed) {
  NoGradGuard no_grad;
  return softmax(mul(random_leaf({rows, classes}, seed).detach(), 2.0), -1);
}

TEST(LossGradcheck, SoftmaxAlongLastAndMiddleDims) {
  Tensor x = random_leaf({2, 3, 5}, 1, -3.0, 3.0);
  for (int64_t dim : {-1, 1, 0}) {
    EXPECT_TRUE(gradcheck([dim](const TensorList& in) { return softmax(in[0], dim); }, {x}))
        << "softmax dim " << dim;
    EXPECT_TRUE(gradcheck([dim](const TensorList& in) { return log_softmax(in[0], dim); }, {x}))
        << "log_softmax dim " << dim;
  }
}

TEST(LossGradcheck, SoftmaxOfNonContiguousInput) {
  Tensor x = random_leaf({4, 6}, 2, -3.0, 3.0);
  // A transpose (softmax runs along a strided dim of the original) and a stepped slice.
  EXPECT_TRUE(
      gradcheck([](const TensorList& in) { return softmax(in[0].transpose(0, 1), -1); }, {x}));
  EXPECT_TRUE(
      gradcheck([](const TensorList& in) { return log_softmax(in[0].slice(1, 0, 6, 2), 0); }, {x}));
}

// Every combination of {hard, soft} x {no weight, weight} x {eps 0, 0.1} x reduction, with
// two ignored samples among the hard targets.
TEST(LossGradcheck, CrossEntropyGrid) {
  const int64_t classes = 4;
  Tensor logits = random_leaf({5, classes}, 3, -2.0, 2.0);
  const Tensor hard = indices({1, kIgnore, 3, 0, kIgnore});
  const Tensor soft = probabilities(5, classes, 4);
  const Tensor weight = random_leaf({classes}, 5, 0.3, 1.5).detach();
  for (const Tensor& target : {hard, soft}) {
    for (const Tensor& w : {Tensor(), weight}) {
      for (double eps : {0.0, 0.1}) {
        for (Reduction reduction : kReductions) {
          const CrossEntropyOptions options{
              .weight = w, .label_smoothing = eps, .reduction = reduction};
          EXPECT_TRUE(
              gradcheck([&](const TensorList& in) { return cross_entropy(in[0], target, options); },
                        {logits}))
              << "soft " << is_floating(target.dtype()) << ", weight " << w.defined() << ", eps "
              << eps << ", reduction " << static_cast<int>(reduction);
        }
      }
    }
  }
}

TEST(LossGradcheck, CrossEntropyIgnoreIndexNamingAClass) {
  Tensor logits = random_leaf({4, 3}, 6, -2.0, 2.0);
  const Tensor target = indices({2, 1, 2, 0});
  const CrossEntropyOptions options{.ignore_index = 2, .label_smoothing = 0.3};
  EXPECT_TRUE(gradcheck([&](const TensorList& in) { return cross_entropy(in[0], target, options); },
                        {logits}));
  // A non-contiguous view of the logits reaches the kernel as a copy.
  EXPECT_TRUE(gradcheck(
      [&](const TensorList& in) {
        return cross_entropy(in[0].transpose(0, 1), indices({0, 2, 1}), options);
      },
      {logits}));
}

TEST(LossGradcheck, NllLoss) {
  Tensor log_probs = random_leaf({5, 4}, 7, -3.0, 0.0);
  const Tensor target = indices({3, 0, kIgnore, 1, 3});
  const Tensor weight = random_leaf({4}, 8, 0.3, 1.5).detach();
  for (const Tensor& w : {Tensor(), weight}) {
    for (Reduction reduction : kReductions) {
      EXPECT_TRUE(gradcheck(
          [&](const TensorList& in) { return nll_loss(in[0], target, w, kIgnore, reduction); },
          {log_probs}))
          << "weight " << w.defined() << ", reduction " << static_cast<int>(reduction);
    }
  }
}

TEST(LossGradcheck, FocalLoss) {
  const int64_t classes = 4;
  Tensor logits = random_leaf({5, classes}, 9, -2.0, 2.0);
  const Tensor target = indices({2, kIgnore, 0, 3, 3});
  const Tensor scalar_alpha = from_vector<double>({0.25}, {1});
  const Tensor class_alpha = random_leaf({classes}, 10, 0.2, 1.0).detach();
  for (const Tensor& alpha : {Tensor(), scalar_alpha, class_alpha}) {
    for (double gamma : {0.0, 2.0, 0.5}) {
      for (Reduction reduction : kReductions) {
        const FocalLossOptions options{.gamma = gamma, .alpha = alpha, .reduction = reduction};
        EXPECT_TRUE(gradcheck(
            [&](const TensorList& in) { return focal_loss(in[0], target, options); }, {logits}))
            << "alpha size " << (alpha.defined() ? alpha.numel() : 0) << ", gamma " << gamma
            << ", reduction " << static_cast<int>(reduction);
      }
    }
  }
}

TEST(LossGradcheck, BinaryCrossEntropyWithLogits) {
  Tensor logits = random_leaf({3, 4}, 11, -4.0, 4.0);
  Tensor target;
  {
    NoGradGuard no_grad;
    target = random_leaf({3, 4}, 12, 0.0, 1.0).detach();  // soft multi-label targets
  }
  const Tensor weight = random_leaf({3, 1}, 13, 0.5, 1.5).detach();
  const Tensor pos_weight = random_leaf({4}, 14, 0.5, 3.0).detach();
  for (const Tensor& w : {Tensor(), weight}) {
    for (const Tensor& pw : {Tensor(), pos_weight}) {
      for (Reduction reduction : kReductions) {
        EXPECT_TRUE(gradcheck(
            [&](const TensorList& in) {
              return binary_cross_entropy_with_logits(in[0], target, w, pw, reduction);
            },
            {logits}))
            << "weight " << w.defined() << ", pos_weight " << pw.defined() << ", reduction "
            << static_cast<int>(reduction);
      }
    }
  }
  // Strided logits.
  EXPECT_TRUE(gradcheck(
      [&](const TensorList& in) {
        return binary_cross_entropy_with_logits(in[0].transpose(0, 1), target.transpose(0, 1),
                                                weight.transpose(0, 1), Tensor(), Reduction::sum);
      },
      {logits}));
}

TEST(LossGradcheck, MseLoss) {
  Tensor input = random_leaf({3, 4}, 15), target = random_leaf({3, 4}, 16);
  for (Reduction reduction : kReductions) {
    EXPECT_TRUE(
        gradcheck([reduction](const TensorList& in) { return mse_loss(in[0], in[1], reduction); },
                  {input, target}));
  }
}

}  // namespace
}  // namespace fovea
