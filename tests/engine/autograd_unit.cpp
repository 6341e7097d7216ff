// The autograd graph: accumulation, shared subexpressions, no_grad, detach, retained
// grads, autocast and checkpointing.
#include <gtest/gtest.h>

#include "tests/support/testing.h"

namespace fovea {
namespace {

TEST(Autograd, GradientsAccumulateIntoLeaves) {
  Tensor x = from_vector<float>({1, 2, 3}, {3});
  x.requires_grad_();
  sum(mul(x, x)).backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{2, 4, 6}));
  sum(mul(x, 3.0)).backward();  // a second backward adds
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{5, 7, 9}));
}

TEST(Autograd, SharedSubexpressionsSumTheirGradients) {
  Tensor x = from_vector<float>({2}, {1});
  x.requires_grad_();
  Tensor y = mul(x, x);           // y = x^2
  Tensor z = add(mul(y, y), y);   // z = x^4 + x^2, y used twice
  z.backward(ones({1}));
  EXPECT_FLOAT_EQ(x.grad().item(), 4 * 8 + 2 * 2);
}

TEST(Autograd, SameTensorAsBothOperands) {
  Tensor x = from_vector<float>({3}, {1});
  x.requires_grad_();
  Tensor y = add(x, x);
  y.backward(ones({1}));
  EXPECT_FLOAT_EQ(x.grad().item(), 2.0f);
  // Two leaves fed by one add: their grads must not share a buffer.
  Tensor a = ones({2}, {.requires_grad = true}), b = ones({2}, {.requires_grad = true});
  sum(add(a, b)).backward();
  {
    NoGradGuard no_grad;
    Tensor ga = a.grad();
    add_(ga, 1.0);
  }
  EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{1, 1}));
}

TEST(Autograd, NoGradRecordsNothing) {
  Tensor x = ones({2}, {.requires_grad = true});
  Tensor y;
  {
    NoGradGuard no_grad;
    y = mul(x, 2.0);
  }
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EQ(y.grad_fn(), nullptr);
  EXPECT_THROW(y.backward(ones({2})), Error);
}

TEST(Autograd, DetachCutsTheGraph) {
  Tensor x = ones({2}, {.requires_grad = true});
  Tensor d = mul(x, 2.0).detach();
  EXPECT_FALSE(d.requires_grad());
  Tensor y = sum(mul(mul(x, 3.0), d));
  y.backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{6, 6}));
}

TEST(Autograd, RetainGradKeepsIntermediateGradients) {
  Tensor x = from_vector<float>({1, 2}, {2});
  x.requires_grad_();
  Tensor h = mul(x, 3.0);
  h.retain_grad();
  Tensor unretained = mul(h, h);
  sum(unretained).backward();
  EXPECT_EQ(h.grad().to_vector<float>(), (std::vector<float>{6, 12}));
  EXPECT_FALSE(unretained.grad().defined());
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{18, 36}));
}

TEST(Autograd, BackwardTwiceNeedsRetainGraph) {
  Tensor x = ones({2}, {.requires_grad = true});
  Tensor y = sum(exp(x));
  y.backward(Tensor(), /*retain_graph=*/true);
  y.backward();
  EXPECT_NEAR(x.grad().to_vector<float>()[0], 2 * std::exp(1.0), 1e-5);
  EXPECT_THROW(y.backward(), Error);
}

TEST(Autograd, BackwardNeedsAGradientForNonScalars) {
  Tensor x = ones({2}, {.requires_grad = true});
  EXPECT_THROW(mul(x, 2.0).backward(), Error);
}

TEST(Autograd, ViewsPropagateGradients) {
  Tensor x = arange(0.0, 6.0).reshape({2, 3});
  x.requires_grad_();
  Tensor y = x.transpose(0, 1).slice(0, 1, 3).reshape({-1});  // x[:, 1:3] as a column walk
  sum(mul(y, arange(1.0, 5.0))).backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{0, 1, 3, 0, 2, 4}));
}

TEST(Autograd, GradientsFlowThroughDtypeCasts) {
  Tensor x = from_vector<float>({1, 2}, {2});
  x.requires_grad_();
  Tensor y = mul(x.to(DType::bf16), 3.0);
  EXPECT_EQ(y.dtype(), DType::bf16);
  sum(y).backward();
  EXPECT_EQ(x.grad().dtype(), DType::f32);
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{3, 3}));
}

TEST(Autocast, Fp32OpsWidenAndBf16StaysBf16) {
  Tensor x = from_vector<float>({1, 2}, {2}).to(DType::bf16);
  AutocastGuard autocast_bf16(DType::bf16);
  EXPECT_EQ(exp(x).dtype(), DType::f32);     // exp is on the fp32 list
  EXPECT_EQ(sum(x).dtype(), DType::f32);     // so are reductions
  EXPECT_EQ(relu(x).dtype(), DType::bf16);   // activations keep their input dtype
  EXPECT_EQ(autocast(ones({2}), AutocastPolicy::lower_precision).dtype(), DType::bf16);
  EXPECT_EQ(autocast(ones({2}, {.dtype = DType::f64}), AutocastPolicy::lower_precision).dtype(),
            DType::f64);
}

TEST(Autocast, GuardRestoresState) {
  {
    AutocastGuard outer(DType::f16);
    EXPECT_TRUE(autocast_state().enabled);
    EXPECT_EQ(autocast_state().dtype, DType::f16);
  }
  EXPECT_FALSE(autocast_state().enabled);
  EXPECT_THROW(AutocastGuard(DType::f32), Error);
}

TEST(Checkpoint, SameGradientsAsTheDirectGraph) {
  manual_seed(3);
  Tensor w = randn({4}, {.requires_grad = true});
  Tensor x = randn({3, 4}, {.requires_grad = true});
  auto segment = [&](const TensorList& in) { return gelu(mul(exp(mul(in[0], w)), in[0])); };

  sum(segment({x})).backward();
  const Tensor direct_w = w.grad().clone(), direct_x = x.grad().clone();
  w.set_grad(Tensor());
  x.set_grad(Tensor());

  Tensor out = checkpoint(segment, {x});
  EXPECT_TRUE(out.requires_grad());
  sum(out).backward();
  EXPECT_ALL_CLOSE(w.grad(), direct_w, 0, 0);
  EXPECT_ALL_CLOSE(x.grad(), direct_x, 0, 0);
}

TEST(Checkpoint, ReplaysTheSameRandomNumbers) {
  manual_seed(5);
  Tensor x = ones({64}, {.requires_grad = true});
  // The segment draws random numbers; the replay in backward must see the same ones,
  // or the gradient would not match the forward's mask.
  auto segment = [](const TensorList& in) { return mul(in[0], rand({64})); };
  Tensor out = checkpoint(segment, {x});
  sum(out).backward();
  EXPECT_ALL_CLOSE(x.grad(), out.detach(), 0, 0);
  // And the global stream moved on by one draw of 64 numbers (16 Philox blocks), not two.
  EXPECT_EQ(default_generator().state().offset, 16u);
}

}  // namespace
}  // namespace fovea
