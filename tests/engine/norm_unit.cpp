// Norm ops: train vs eval behaviour of batch norm, the running-stat update, autocast,
// consistency between the three ops, thread-count independence, and error messages.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops/activation.h"
#include "engine/ops/norm.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

// Runs `body`, expecting a fovea::Error whose message contains `text`.
template <typename Body>
void expect_error(Body body, const std::string& text) {
  try {
    body();
    ADD_FAILURE() << "expected an error containing: " << text;
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(text), std::string::npos)
        << "message: " << error.what() << "\nexpected to contain: " << text;
  }
}

// Channel 0 holds 1, 2, 3, 4 (mean 2.5, biased var 1.25, unbiased 5/3); channel 1 is
// constant 2 (mean 2, var 0).
Tensor two_channel_batch() {
  return from_vector<float>({1, 2, 2, 2, 3, 2, 4, 2}, {4, 2});
}

TEST(BatchNorm, TrainingUsesBatchStatisticsAndEvalUsesRunningStats) {
  const Tensor x = two_channel_batch();
  Tensor running_mean = zeros({2}), running_var = ones({2});
  const Tensor train = batch_norm(x, {}, {}, running_mean, running_var, true);
  const double rstd0 = 1.0 / std::sqrt(1.25 + 1e-5);
  EXPECT_ALL_CLOSE(train.select(1, 0),
                   from_vector<float>({-1.5f * float(rstd0), -0.5f * float(rstd0),
                                       0.5f * float(rstd0), 1.5f * float(rstd0)},
                                      {4}),
                   1e-6, 1e-6);
  EXPECT_ALL_CLOSE(train.select(1, 1), zeros({4}), 0, 0);

  Tensor eval_mean = from_vector<float>({1, -1}, {2}),
         eval_var = from_vector<float>({4, 0.25}, {2});
  const Tensor eval = batch_norm(x, {}, {}, eval_mean, eval_var, false);
  const Tensor expected = div(sub(x, eval_mean), sqrt(add(eval_var, 1e-5)));
  EXPECT_ALL_CLOSE(eval, expected, 1e-6, 1e-6);
  // Eval leaves the running stats alone.
  EXPECT_EQ(eval_mean.to_vector<float>(), (std::vector<float>{1, -1}));
  EXPECT_EQ(eval_var.to_vector<float>(), (std::vector<float>{4, 0.25}));
}

TEST(BatchNorm, RunningStatsFollowMomentumWithUnbiasedVariance) {
  const Tensor x = two_channel_batch();
  Tensor running_mean = from_vector<float>({1, -1}, {2});
  Tensor running_var = from_vector<float>({2, 0.5}, {2});
  batch_norm(x, {}, {}, running_mean, running_var, true, 0.3);
  // mean: 0.7 * old + 0.3 * batch mean; var: 0.7 * old + 0.3 * unbiased batch var.
  EXPECT_ALL_CLOSE(running_mean,
                   from_vector<float>({0.7f * 1 + 0.3f * 2.5f, 0.7f * -1 + 0.3f * 2}, {2}), 1e-6,
                   1e-6);
  EXPECT_ALL_CLOSE(running_var, from_vector<float>({0.7f * 2 + 0.3f * 5.0f / 3, 0.7f * 0.5f}, {2}),
                   1e-6, 1e-6);
  // A second step moves them again from where they are.
  batch_norm(x, {}, {}, running_mean, running_var, true, 0.3);
  const float mean0 = 0.7f * (0.7f * 1 + 0.3f * 2.5f) + 0.3f * 2.5f;
  EXPECT_NEAR(running_mean.to_vector<float>()[0], mean0, 1e-6);
  // momentum = 1 replaces them with the batch's statistics.
  batch_norm(x, {}, {}, running_mean, running_var, true, 1.0);
  EXPECT_ALL_CLOSE(running_mean, from_vector<float>({2.5f, 2.0f}, {2}), 1e-6, 1e-6);
  EXPECT_ALL_CLOSE(running_var, from_vector<float>({5.0f / 3, 0.0f}, {2}), 1e-6, 1e-6);
}

TEST(BatchNorm, RunningStatsNeverJoinTheGraph) {
  Tensor x = two_channel_batch().requires_grad_();
  Tensor running_mean = zeros({2}), running_var = ones({2});
  Tensor y = batch_norm(x, {}, {}, running_mean, running_var, true);
  EXPECT_FALSE(running_mean.requires_grad());
  EXPECT_TRUE(y.requires_grad());
  // The eval-mode backward uses the stats as they were in the forward, even if they
  // change in place before the backward runs.
  Tensor xe = two_channel_batch().requires_grad_();
  Tensor ye = batch_norm(xe, {}, {}, running_mean, running_var, false);
  const std::vector<float> var_then = running_var.to_vector<float>();
  {
    NoGradGuard no_grad;
    running_var.fill_(100.0);
  }
  sum(ye).backward();
  for (int64_t c = 0; c < 2; ++c) {
    EXPECT_NEAR(xe.grad().to_vector<float>()[c], 1.0 / std::sqrt(var_then[c] + 1e-5), 1e-6);
  }
}

TEST(Norms, AutocastComputesInF32) {
  Tensor x = randn({2, 3, 3, 4}).to(DType::bf16).requires_grad_();
  Tensor w = ones({4}), b = zeros({4});
  {
    AutocastGuard autocast(DType::bf16);
    EXPECT_EQ(batch_norm(x, w, b, {}, {}, true).dtype(), DType::f32);
    EXPECT_EQ(layer_norm(x, {4}, w, b).dtype(), DType::f32);
    Tensor y = group_norm(x, 2, w, b);
    EXPECT_EQ(y.dtype(), DType::f32);
    sum(y).backward();
  }
  EXPECT_EQ(x.grad().dtype(), DType::bf16);  // the autocast cast is differentiable
  // Outside autocast a 16-bit input computes in f32 but keeps its dtype.
  EXPECT_EQ(layer_norm(x, {4}).dtype(), DType::bf16);
  EXPECT_ALL_CLOSE(layer_norm(x, {4}).to(DType::f32), layer_norm(x.to(DType::f32), {4}), 1e-2,
                   1e-2);
}

TEST(Norms, GroupNormAgreesWithLayerNorm) {
  const Tensor x = randn({2, 3, 4, 6});
  // One group normalises each sample over everything: layer norm over [H, W, C].
  EXPECT_ALL_CLOSE(group_norm(x, 1), layer_norm(x, {3, 4, 6}), 1e-5, 1e-5);
  // With C groups over [N, 1, C] every group is one element, its own mean: all zeros.
  EXPECT_ALL_CLOSE(group_norm(x.reshape({2, 1, 72}), 72), zeros({2, 1, 72}), 0, 0);
  // On [N, C], one group is layer norm over the channels.
  const Tensor rows = randn({5, 8});
  EXPECT_ALL_CLOSE(group_norm(rows, 1), layer_norm(rows, {8}), 1e-5, 1e-5);
}

TEST(Norms, ResultsDoNotDependOnTheThreadCount) {
  const Tensor x = randn({4, 32, 32, 24});
  const Tensor w = rand({24}), b = randn({24});
  auto run = [&]() {
    Tensor leaf = x.clone().requires_grad_();
    TensorList outs = {batch_norm(leaf, w, b, {}, {}, true), layer_norm(leaf, {24}, w, b),
                       group_norm(leaf, 6, w, b)};
    sum(add(add(mul(outs[0], outs[0]), outs[1]), mul(outs[2], 3.0))).backward();
    outs.push_back(leaf.grad());
    return outs;
  };
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const TensorList single = run();
  omp_set_num_threads(std::max(threads, 3));
  const TensorList many = run();
  omp_set_num_threads(threads);
  for (size_t i = 0; i < single.size(); ++i) {
    EXPECT_EQ(single[i].to_vector<float>(), many[i].to_vector<float>()) << "output " << i;
  }
}

// The autograd nodes (other than the leaves' AccumulateGrad) that produced `y`.
int count_op_nodes(const Tensor& y) {
  std::set<const Node*> seen;
  std::vector<std::shared_ptr<Node>> stack{y.grad_fn()};
  int ops = 0;
  while (!stack.empty()) {
    const std::shared_ptr<Node> node = stack.back();
    stack.pop_back();
    if (!node || !seen.insert(node.get()).second) continue;
    if (std::string(node->name()) != "AccumulateGrad") ++ops;
    for (const Edge& edge : node->next_edges) stack.push_back(edge.node);
  }
  return ops;
}

// The fused BatchNorm + activation (timm's BatchNormAct2d) is one node on the CPU too, and
// equals batch_norm followed by the activation op: output, running stats and every
// gradient, for f32 and f64, relu and silu, training and eval.
TEST(BatchNorm, FusedActivationEqualsTheComposedOps) {
  using kernels::NormActivation;
  for (DType dtype : {DType::f32, DType::f64}) {
    for (NormActivation activation : {NormActivation::relu, NormActivation::silu}) {
      for (bool training : {true, false}) {
        SCOPED_TRACE(std::string(dtype_name(dtype)) +
                     (activation == NormActivation::relu ? " relu" : " silu") +
                     (training ? " training" : " eval"));
        const Tensor x0 = randn({3, 4, 5, 6}).to(dtype);
        const Tensor w0 = rand({6}).to(dtype), b0 = randn({6}).to(dtype);
        const Tensor weights = randn({3, 4, 5, 6}).to(dtype);
        struct Run {
          Tensor y, running_mean, running_var, gx, gw, gb;
          int nodes = 0;
        };
        auto run = [&](bool fused) {
          Tensor x = x0.clone().requires_grad_(), w = w0.clone().requires_grad_(),
                 b = b0.clone().requires_grad_();
          Tensor running_mean =
              from_vector<float>({0.1f, -0.2f, 0.3f, 0.0f, 0.5f, -1.0f}, {6}).to(dtype);
          Tensor running_var =
              from_vector<float>({1.0f, 0.5f, 2.0f, 1.5f, 0.25f, 3.0f}, {6}).to(dtype);
          Tensor y;
          if (fused) {
            y = batch_norm(x, w, b, running_mean, running_var, training, 0.1, 1e-5, activation);
          } else {
            const Tensor z = batch_norm(x, w, b, running_mean, running_var, training, 0.1, 1e-5);
            y = activation == NormActivation::relu ? relu(z) : silu(z);
          }
          const int nodes = count_op_nodes(y);
          sum(mul(y, weights)).backward();
          return Run{y.detach(), running_mean, running_var, x.grad(), w.grad(), b.grad(), nodes};
        };
        const Run fused = run(true), composed = run(false);
        EXPECT_EQ(fused.nodes, 1) << "the fused op must record exactly one autograd node";
        EXPECT_EQ(composed.nodes, 2);
        EXPECT_EQ(fused.y.dtype(), dtype);
        const double tol = dtype == DType::f32 ? 1e-6 : 1e-13;
        EXPECT_ALL_CLOSE(fused.y, composed.y, tol, tol);
        EXPECT_ALL_CLOSE(fused.running_mean, composed.running_mean, 0, 0);
        EXPECT_ALL_CLOSE(fused.running_var, composed.running_var, 0, 0);
        EXPECT_ALL_CLOSE(fused.gx, composed.gx, tol, tol);
        EXPECT_ALL_CLOSE(fused.gw, composed.gw, tol, tol);
        EXPECT_ALL_CLOSE(fused.gb, composed.gb, tol, tol);
      }
    }
  }
}

TEST(BatchNorm, FusedActivationWithoutAffine) {
  const Tensor x = randn({8, 5});
  const Tensor fused =
      batch_norm(x, {}, {}, {}, {}, true, 0.1, 1e-5, kernels::NormActivation::silu);
  EXPECT_ALL_CLOSE(fused, silu(batch_norm(x, {}, {}, {}, {}, true)), 1e-6, 1e-6);
}

TEST(Norms, ErrorsNameTheOpAndShapes) {
  const Tensor x = randn({2, 5, 5, 4});
  expect_error([&] { batch_norm(x, ones({3}), {}, {}, {}, true); },
               "batch_norm: weight has shape [3] but the input has 4 channels (last dim of "
               "[2, 5, 5, 4])");
  expect_error([&] { batch_norm(x, {}, zeros({5}), {}, {}, true); },
               "batch_norm: bias has shape [5]");
  expect_error(
      [&] {
        batch_norm(x, {}, {}, zeros({4, 1}), ones({4}), true);
      },
      "batch_norm: running_mean has shape [4, 1]");
  expect_error([&] { batch_norm(x, {}, {}, zeros({4}), {}, true); },
               "batch_norm: running_mean and running_var must be given together");
  expect_error([&] { batch_norm(x, {}, {}, {}, {}, false); },
               "batch_norm: eval mode (training=false) needs running_mean and running_var");
  expect_error(
      [&] {
        batch_norm(randn({1, 4}), {}, {}, {}, {}, true);
      },
      "batch_norm: expected more than 1 value per channel when training, got input "
      "shape [1, 4]");
  expect_error([&] { batch_norm(randn({4}), {}, {}, {}, {}, true); },
               "batch_norm: input must have at least 2 dims");
  expect_error(
      [&] {
        batch_norm(ones({2, 3}, {.dtype = DType::i64}), {}, {}, {}, {}, true);
      },
      "batch_norm: input must be a floating tensor, got i64");

  expect_error(
      [&] {
        layer_norm(randn({2, 3, 4}), {8});
      },
      "layer_norm: normalized_shape [8] does not match the trailing dims of [2, 3, 4]");
  expect_error(
      [&] {
        layer_norm(randn({4}), {2, 4});
      },
      "layer_norm: normalized_shape [2, 4] does not match the trailing dims of [4]");
  expect_error(
      [&] {
        layer_norm(randn({2, 4}), {});
      },
      "layer_norm: normalized_shape must have at least one dim");
  expect_error(
      [&] {
        layer_norm(randn({2, 4}), {4}, ones({3}));
      },
      "layer_norm: weight has shape [3] but normalized_shape is [4]");
  expect_error(
      [&] {
        layer_norm(randn({2, 4}), {4}, ones({4}), zeros({2, 2}));
      },
      "layer_norm: bias has shape [2, 2] but normalized_shape is [4]");

  expect_error(
      [&] {
        group_norm(randn({2, 3, 3, 6}), 4);
      },
      "group_norm: 6 channels do not divide into 4 groups");
  expect_error(
      [&] {
        group_norm(randn({2, 6}), 0);
      },
      "group_norm: num_groups must be positive, got 0");
  expect_error([&] { group_norm(randn({6}), 2); }, "group_norm: input must have at least 2 dims");
  expect_error(
      [&] {
        group_norm(randn({2, 6}), 2, ones({3}));
      },
      "group_norm: weight has shape [3] but the input has 6 channels (last dim of [2, 6])");
}

}  // namespace
}  // namespace fovea
