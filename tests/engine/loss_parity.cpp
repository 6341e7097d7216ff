// Softmax, log_softmax and the losses against PyTorch 1.13 (tests/reference/ref_loss.py).
// The cross-entropy grid covers every combination of hard/soft targets, class weights,
// label smoothing and reduction: the places where implementations silently differ.
#include <gtest/gtest.h>

#include "engine/ops/loss.h"
#include "engine/ops/softmax.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::check_case;
using testing::Reference;

class LossParity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { reference_ = new Reference("loss"); }
  static void TearDownTestSuite() { delete reference_; }
  static Reference* reference_;

  // A constant stored beside a case, or undefined when the case has none.
  static Tensor constant(const std::string& case_name, const std::string& role) {
    const std::string key = case_name + "." + role;
    return reference_->has(key) ? (*reference_)[key] : Tensor();
  }
};
Reference* LossParity::reference_ = nullptr;

Reduction reduction_named(const std::string& name) {
  if (name == "mean") return Reduction::mean;
  if (name == "sum") return Reduction::sum;
  EXPECT_EQ(name, "none");
  return Reduction::none;
}

const char* const kReductions[] = {"mean", "sum", "none"};

TEST_F(LossParity, Softmax) {
  const Reference& r = *reference_;
  for (const auto& [where, dim] :
       std::vector<std::pair<std::string, int64_t>>{{"last", -1}, {"mid", 1}, {"first", 0}}) {
    check_case(r, "softmax_" + where, {"input"},
               [dim = dim](const TensorList& in) { return softmax(in[0], dim); });
    check_case(r, "log_softmax_" + where, {"input"},
               [dim = dim](const TensorList& in) { return log_softmax(in[0], dim); });
  }
}

TEST_F(LossParity, CrossEntropyGrid) {
  int cases = 0;
  for (const std::string kind : {"hard", "soft"}) {
    for (const std::string weighting : {"nw", "w"}) {
      for (const std::string smoothing : {"0", "1"}) {
        for (const std::string reduction : kReductions) {
          const std::string name =
              "ce_" + kind + "_" + weighting + "_ls" + smoothing + "_" + reduction;
          const CrossEntropyOptions options{.weight = constant(name, "weight"),
                                            .label_smoothing = smoothing == "1" ? 0.1 : 0.0,
                                            .reduction = reduction_named(reduction)};
          ASSERT_EQ(options.weight.defined(), weighting == "w") << name;
          const Tensor target = constant(name, "target");
          check_case(*reference_, name, {"logits"},
                     [&](const TensorList& in) { return cross_entropy(in[0], target, options); });
          ++cases;
        }
      }
    }
  }
  EXPECT_EQ(cases, 24);
}

TEST_F(LossParity, CrossEntropyIgnoringARealClass) {
  const std::string name = "ce_ignore_class3";
  const Tensor target = constant(name, "target");
  const CrossEntropyOptions options{
      .weight = constant(name, "weight"), .ignore_index = 3, .label_smoothing = 0.2};
  check_case(*reference_, name, {"logits"},
             [&](const TensorList& in) { return cross_entropy(in[0], target, options); });
}

TEST_F(LossParity, NllLossWeighted) {
  for (const std::string reduction : kReductions) {
    const std::string name = "nll_w_" + reduction;
    const Tensor target = constant(name, "target"), weight = constant(name, "weight");
    check_case(*reference_, name, {"log_probs"}, [&](const TensorList& in) {
      return nll_loss(in[0], target, weight, -100, reduction_named(reduction));
    });
  }
}

TEST_F(LossParity, FocalLossAgainstTheExplicitFormula) {
  for (const std::string alpha : {"none", "scalar", "class"}) {
    for (const std::string gamma : {"0", "2"}) {
      for (const std::string reduction : kReductions) {
        const std::string name = "focal_" + alpha + "_g" + gamma + "_" + reduction;
        const Tensor target = constant(name, "target");
        const FocalLossOptions options{.gamma = std::stod(gamma),
                                       .alpha = constant(name, "alpha"),
                                       .reduction = reduction_named(reduction)};
        ASSERT_EQ(options.alpha.defined(), alpha != "none") << name;
        check_case(*reference_, name, {"logits"},
                   [&](const TensorList& in) { return focal_loss(in[0], target, options); });
      }
    }
  }
}

TEST_F(LossParity, BinaryCrossEntropyWithLogits) {
  for (const std::string variant : {"plain", "weight", "pos", "both"}) {
    for (const std::string reduction : kReductions) {
      const std::string name = "bce_" + variant + "_" + reduction;
      const Tensor target = constant(name, "target");
      const Tensor weight = constant(name, "weight"), pos_weight = constant(name, "pos_weight");
      check_case(*reference_, name, {"logits"}, [&](const TensorList& in) {
        return binary_cross_entropy_with_logits(in[0], target, weight, pos_weight,
                                                reduction_named(reduction));
      });
    }
  }
}

TEST_F(LossParity, MseLoss) {
  for (const std::string reduction : kReductions) {
    check_case(*reference_, "mse_" + reduction, {"input", "target"}, [&](const TensorList& in) {
      return mse_loss(in[0], in[1], reduction_named(reduction));
    });
  }
}

}  // namespace
}  // namespace fovea
