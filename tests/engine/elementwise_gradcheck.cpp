// Finite-difference checks of the elementwise ops, activations, reductions and views, in
// f64, with broadcasting, strided views and non-contiguous inputs.
#include <gtest/gtest.h>

#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::gradcheck;
using testing::random_leaf;

TEST(Gradcheck, BinaryOpsWithBroadcasting) {
  Tensor a = random_leaf({2, 3, 4}, 1), b = random_leaf({3, 1}, 2, 0.5, 2.0);
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return add(in[0], in[1]); }, {a, b}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return sub(in[0], in[1]); }, {a, b}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return mul(in[0], in[1]); }, {a, b}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return div(in[0], in[1]); }, {a, b}));
  Tensor base = random_leaf({2, 3, 4}, 3, 0.5, 2.0);
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return pow(in[0], in[1]); }, {base, b}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return maximum(in[0], in[1]); }, {a, b}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return minimum(in[0], in[1]); }, {a, b}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return add_relu(in[0], in[1]); }, {a, b}));
}

TEST(Gradcheck, ScalarForms) {
  Tensor a = random_leaf({5}, 4, 0.5, 2.0);
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return add(mul(in[0], 3.0), 1.5); }, {a}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return sub(div(in[0], 3.0), 1.5); }, {a}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return pow(in[0], 2.5); }, {a}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return 2.0 / in[0] - 1.0; }, {a}));
}

TEST(Gradcheck, NonContiguousInputs) {
  Tensor a = random_leaf({4, 3}, 5), b = random_leaf({3, 4}, 6);
  // a^T (strided) times b, and a slice with a step.
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return mul(in[0].transpose(0, 1), in[1]); },
                        {a, b}));
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) { return exp(in[0].slice(0, 0, 4, 2).expand({2, 2, 3})); }, {a}));
}

TEST(Gradcheck, UnaryMath) {
  Tensor positive = random_leaf({3, 4}, 7, 0.3, 2.0);
  Tensor any = random_leaf({3, 4}, 8, -2.0, 2.0);
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return neg(in[0]); }, {any}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return exp(in[0]); }, {any}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return log(in[0]); }, {positive}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return sqrt(in[0]); }, {positive}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return rsqrt(in[0]); }, {positive}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return abs(in[0]); }, {any}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return reciprocal(in[0]); }, {positive}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return clamp(in[0], -0.5, 0.7); }, {any}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return clamp(in[0], std::nullopt, 0.7); }, {any}));
  Tensor cond_source = random_leaf({3, 4}, 9);
  const Tensor cond = gt(cond_source.detach(), 0.0);
  Tensor b = random_leaf({4}, 10);
  EXPECT_TRUE(gradcheck([&](const TensorList& in) { return where(cond, in[0], in[1]); }, {any, b}));
}

TEST(Gradcheck, Activations) {
  // Values stay away from the kinks of relu, relu6, hardswish and hardsigmoid.
  Tensor x = from_vector<double>({-4.1, -2.5, -0.7, 0.3, 1.1, 2.9, 3.4, 6.5}, {2, 4});
  x.requires_grad_();
  for (auto* f : {&relu, &relu6, &silu, &sigmoid, &tanh, &hardswish, &hardsigmoid}) {
    EXPECT_TRUE(gradcheck([f](const TensorList& in) { return (*f)(in[0]); }, {x}));
  }
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return gelu(in[0]); }, {x}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return gelu(in[0], "tanh"); }, {x}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return softplus(in[0], 2.0, 5.0); }, {x}));
}

TEST(Gradcheck, Reductions) {
  Tensor x = random_leaf({2, 3, 4}, 11);
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return sum(in[0], {1}); }, {x}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return sum(in[0], {0, 2}, true); }, {x}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return sum(in[0]); }, {x}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return mean(in[0], {-1}); }, {x}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return mean(in[0].transpose(0, 2), {0, 1}); }, {x}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return var(in[0], {1, 2}); }, {x}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return var(in[0], {0}, 0, true); }, {x}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return max(in[0], 1).values; }, {x}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return max(in[0]); }, {x}));
}

TEST(Gradcheck, Views) {
  Tensor x = random_leaf({2, 3, 4}, 12);
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return in[0].permute({2, 0, 1}).reshape({4, 6}); }, {x}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return in[0].narrow(2, 1, 2).select(0, 1); }, {x}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return in[0].unsqueeze(1).expand({2, 5, 3, 4}); }, {x}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return in[0].flatten(0, 1).clone(); }, {x}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return in[0].to(DType::f32).to(DType::f64); }, {x},
                        {.eps = 1e-3, .atol = 1e-4, .rtol = 1e-3}));
}

}  // namespace
}  // namespace fovea
