// engine/profile.h: the per-op profiler. Its rows split forward, backward and optimizer,
// self time is total minus the ops called, MACs and bytes are attributed to the op that did
// them, and over a real training step the ops' self times add up to the step's wall time.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/engine.h"
#include "models/model.h"
#include "tests/support/testing.h"
#include "train/optimizer.h"

namespace fovea {
namespace {

using profile::OpStats;
using profile::Phase;

const OpStats* find_row(const std::vector<OpStats>& rows, const std::string& name, Phase phase) {
  for (const OpStats& r : rows) {
    if (r.name == name && r.phase == phase) return &r;
  }
  return nullptr;
}

const OpStats& row(const std::vector<OpStats>& rows, const std::string& name, Phase phase) {
  const OpStats* found = find_row(rows, name, phase);
  if (found == nullptr) {
    ADD_FAILURE() << "no row for " << name << " " << profile::phase_name(phase);
    static const OpStats empty;
    return empty;
  }
  return *found;
}

TEST(Profiler, SelfTimeIsTotalMinusTheOpsCalled) {
  profile::Profiler profiler;
  for (int i = 0; i < 3; ++i) {
    const profile::OpScope outer("outer");
    const profile::OpScope inner("inner");
    const Tensor x = randn({64, 64});
    sum(mul(x, x)).item();
  }
  profiler.stop();
  const auto rows = profiler.key_averages();
  const OpStats& outer = row(rows, "outer", Phase::forward);
  const OpStats& inner = row(rows, "inner", Phase::forward);
  EXPECT_EQ(outer.calls, 3);
  EXPECT_EQ(inner.calls, 3);
  EXPECT_NEAR(outer.cpu_self_ms + inner.cpu_total_ms, outer.cpu_total_ms, 1e-9)
      << "nothing else runs inside outer";
  double inside_inner = 0;
  for (const char* op : {"randn", "mul", "sum"})
    inside_inner += row(rows, op, Phase::forward).cpu_total_ms;
  EXPECT_NEAR(inner.cpu_self_ms + inside_inner, inner.cpu_total_ms, 1e-9);
  EXPECT_LE(profile::self_ms_sum(rows), profiler.wall_ms());
}

TEST(Profiler, RecordsNothingWithoutAProfilerAndOneAtATime) {
  { const profile::OpScope ignored("ignored"); }
  profile::Profiler profiler;
  EXPECT_EQ(find_row(profiler.key_averages(), "ignored", Phase::forward), nullptr);
  EXPECT_NE(testing::error_of([] { profile::Profiler second; }).find("already has a live profiler"),
            std::string::npos);
}

TEST(Profiler, BytesAreTheInputsReadAndTheOutputsAllocated) {
  const Tensor x = randn({1000});
  profile::Profiler profiler;
  relu(x);
  profiler.stop();
  EXPECT_EQ(row(profiler.key_averages(), "relu", Phase::forward).self_bytes, 2 * 1000 * 4);
}

// A small conv net: its conv2d rows carry exactly the MACs the convolutions did, the
// backward twice the forward's except for the first layer, whose input needs no gradient.
TEST(Profiler, ConvolutionMacsForwardAndBackward) {
  manual_seed(0);
  const Tensor x = randn({2, 8, 8, 3});
  const Tensor w1 = randn({4, 3, 3, 3}).requires_grad_();
  const Tensor w2 = randn({5, 3, 3, 4}).requires_grad_();
  const Conv2dOptions same{.padding = {1, 1}};
  const int64_t macs1 = 2 * 8 * 8 * 4 * 9 * 3, macs2 = 2 * 8 * 8 * 5 * 9 * 4;

  profile::Profiler profiler;
  sum(conv2d(relu(conv2d(x, w1, {}, same)), w2, {}, same)).backward();
  profiler.stop();
  const auto rows = profiler.key_averages();
  EXPECT_EQ(row(rows, "conv2d", Phase::forward).self_macs, macs1 + macs2);
  EXPECT_EQ(row(rows, "conv2d", Phase::forward).calls, 2);
  EXPECT_EQ(row(rows, "conv2d", Phase::backward).self_macs, macs1 + 2 * macs2);
  EXPECT_EQ(row(rows, "relu", Phase::backward).calls, 1);
}

// The check: over whole training steps of a real model, the op table accounts for
// the step's wall time; what is left is the framework between ops. Structural, not a
// speed limit: the bound holds however fast or slow the machine is.
TEST(Profiler, OpTableAddsUpToTheTrainingStep) {
  manual_seed(0);
  ModelPtr model = create_model("resnet18", {.num_classes = 10, .img_size = 32});
  model->train();
  train::TrainingSection optimizer_config;
  auto optimizer = train::create_optimizer(*model, optimizer_config);
  const Tensor images = randn({4, 32, 32, 3});
  const Tensor labels = randint(0, 10, {4});
  auto step = [&] {
    Tensor loss = cross_entropy(model->forward(images), labels);
    loss.backward();
    const profile::PhaseScope phase(Phase::optimizer);
    optimizer->step(1e-3);
    optimizer->zero_grad();
  };
  step();  // warm-up: first allocations and weight packing
  profile::Profiler profiler;
  step();
  step();
  profiler.stop();
  const auto rows = profiler.key_averages();
  const double covered = profile::self_ms_sum(rows) / profiler.wall_ms();
  EXPECT_GT(covered, 0.95) << profiler.table(2);
  EXPECT_LE(covered, 1.0);
  EXPECT_EQ(row(rows, "conv2d", Phase::forward).calls, 2 * 20);
  EXPECT_EQ(row(rows, "conv2d", Phase::backward).calls, 2 * 20);
  EXPECT_EQ(row(rows, "batch_norm", Phase::backward).calls, 2 * 20);
  EXPECT_GT(row(rows, "adamw_step", Phase::optimizer).calls, 0);
  EXPECT_EQ(find_row(rows, "adamw_step", Phase::forward), nullptr);

  const std::string table = profiler.table(2, 5);
  for (const char* text : {"Self CPU %", "# of Calls", "GFLOP/s", "conv2d", "backward", "more rows",
                           "over 2 steps", "account for"}) {
    EXPECT_NE(table.find(text), std::string::npos) << text << " missing from\n" << table;
  }
}

}  // namespace
}  // namespace fovea
