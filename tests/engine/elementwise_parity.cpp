// Elementwise ops, activations and reductions against PyTorch (tests/reference/ref_elementwise.py).
#include <gtest/gtest.h>

#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::check_case;
using testing::Reference;

class ElementwiseParity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { reference_ = new Reference("elementwise"); }
  static void TearDownTestSuite() { delete reference_; }
  static Reference* reference_;
};
Reference* ElementwiseParity::reference_ = nullptr;

TEST_F(ElementwiseParity, Binary) {
  const Reference& r = *reference_;
  check_case(r, "add", {"a", "b"}, [](const TensorList& in) { return add(in[0], in[1]); });
  check_case(r, "sub", {"a", "b"}, [](const TensorList& in) { return sub(in[0], in[1]); });
  check_case(r, "mul", {"a", "b"}, [](const TensorList& in) { return mul(in[0], in[1]); });
  check_case(r, "div", {"a", "b"}, [](const TensorList& in) { return div(in[0], in[1]); });
  check_case(r, "pow", {"a", "b"}, [](const TensorList& in) { return pow(in[0], in[1]); });
  check_case(r, "pow_scalar", {"a"}, [](const TensorList& in) { return pow(in[0], 2.5); });
  check_case(r, "maximum", {"input", "other"},
             [](const TensorList& in) { return maximum(in[0], in[1]); });
  check_case(r, "minimum", {"input", "other"},
             [](const TensorList& in) { return minimum(in[0], in[1]); });
  check_case(r, "where", {"a", "b"},
             [](const TensorList& in) { return where(gt(in[0].detach(), 0.0), in[0], in[1]); });
}

TEST_F(ElementwiseParity, Unary) {
  const Reference& r = *reference_;
  const std::vector<std::pair<std::string, Tensor (*)(const Tensor&)>> ops = {
      {"neg", &neg},   {"exp", &exp},       {"log", &log},         {"sqrt", &sqrt},
      {"rsqrt", &rsqrt}, {"abs", &abs},     {"reciprocal", &reciprocal},
      {"relu", &relu}, {"relu6", &relu6},   {"silu", &silu},       {"sigmoid", &sigmoid},
      {"tanh", &tanh}, {"hardswish", &hardswish}, {"hardsigmoid", &hardsigmoid}};
  for (const auto& [name, op] : ops) {
    check_case(r, name, {"input"}, [op = op](const TensorList& in) { return op(in[0]); });
  }
  check_case(r, "gelu", {"input"}, [](const TensorList& in) { return gelu(in[0]); });
  check_case(r, "gelu_tanh", {"input"}, [](const TensorList& in) { return gelu(in[0], "tanh"); });
  check_case(r, "softplus", {"input"},
             [](const TensorList& in) { return softplus(in[0], 2.0, 5.0); });
  check_case(r, "clamp", {"input"}, [](const TensorList& in) { return clamp(in[0], -0.5, 0.7); });
}

TEST_F(ElementwiseParity, Reductions) {
  const Reference& r = *reference_;
  check_case(r, "sum_12", {"input"}, [](const TensorList& in) { return sum(in[0], {1, 2}); });
  check_case(r, "sum_all", {"input"}, [](const TensorList& in) { return sum(in[0]); });
  check_case(r, "sum_02_keep", {"input"},
             [](const TensorList& in) { return sum(in[0], {0, 2}, true); });
  check_case(r, "mean_last", {"input"}, [](const TensorList& in) { return mean(in[0], {-1}); });
  check_case(r, "mean_013", {"input"}, [](const TensorList& in) { return mean(in[0], {0, 1, 3}); });
  check_case(r, "var_unbiased", {"input"}, [](const TensorList& in) { return var(in[0], {1, 3}); });
  check_case(r, "var_biased", {"input"},
             [](const TensorList& in) { return var(in[0], {2}, 0, true); });
  check_case(r, "max_dim", {"input"}, [](const TensorList& in) { return max(in[0], 1).values; });
  EXPECT_ALL_CLOSE(argmax(r["argmax.input"], 3), r["argmax.y"], 0, 0);
}

}  // namespace
}  // namespace fovea
