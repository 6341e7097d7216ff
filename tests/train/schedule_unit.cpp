// LR schedules, early stopping on scripted metric sequences, the loss scaler, freezing.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "models/model.h"
#include "tests/support/testing.h"
#include "train/early_stopping.h"
#include "train/freezing.h"
#include "train/loss_scaler.h"
#include "train/schedule.h"

namespace fovea::train {
namespace {

TEST(Schedule, CosineWithLinearWarmup) {
  TrainingSection t;
  t.lr = 1.0;
  t.min_lr = 0.0;
  t.epochs = 10;
  t.warmup_epochs = 1;
  t.warmup_lr = 0.1;
  LrSchedule s(t, /*steps_per_epoch=*/10);
  EXPECT_DOUBLE_EQ(s.lr(0), 0.1);
  EXPECT_DOUBLE_EQ(s.lr(5), 0.55);
  EXPECT_DOUBLE_EQ(s.lr(10), 1.0);
  EXPECT_NEAR(s.lr(55), 0.5, 1e-12);  // halfway through the cosine
  EXPECT_NEAR(s.lr(100), 0.0, 1e-12);
}

TEST(Schedule, StepMultistepAndPlateau) {
  TrainingSection t;
  t.lr = 1.0;
  t.epochs = 10;
  t.schedule = ScheduleKind::step;
  t.step_epochs = 3;
  EXPECT_DOUBLE_EQ(LrSchedule(t, 2).lr(2 * 6), 0.01);
  t.schedule = ScheduleKind::multistep;
  t.milestones = {2, 5};
  EXPECT_DOUBLE_EQ(LrSchedule(t, 2).lr(2 * 4), 0.1);
  t.schedule = ScheduleKind::plateau;
  t.plateau_patience = 1;
  LrSchedule plateau(t, 1);
  for (double metric : {0.5, 0.6, 0.6, 0.55}) plateau.end_epoch(metric);  // 2 bad epochs > 1
  EXPECT_DOUBLE_EQ(plateau.lr(4), 0.1);
  LrSchedule restored(t, 1);
  restored.load_state(plateau.state());
  EXPECT_DOUBLE_EQ(restored.lr(4), 0.1);
}

TEST(EarlyStopping, StopsAfterPatienceEpochsWithoutImprovement) {
  EarlyStopper maximize(MonitorMode::max, 2);
  const std::vector<double> f1 = {0.50, 0.61, 0.60, 0.61, 0.59, 0.70};
  int64_t stopped_at = 0;
  for (size_t i = 0; i < f1.size() && !stopped_at; ++i) {
    maximize.update(static_cast<int64_t>(i + 1), f1[i]);
    if (maximize.should_stop()) stopped_at = static_cast<int64_t>(i + 1);
  }
  EXPECT_EQ(stopped_at, 4);  // best 0.61 at epoch 2; epochs 3 and 4 do not beat it
  EXPECT_EQ(maximize.best_epoch(), 2);

  EarlyStopper minimize(MonitorMode::min, 3);
  for (double loss : {1.0, 0.8, 0.9, double(NAN), 0.7}) minimize.update(1, loss);
  EXPECT_DOUBLE_EQ(minimize.best(), 0.7);
  EXPECT_FALSE(minimize.should_stop());
  EarlyStopper never(MonitorMode::max, 0);
  for (int e = 1; e < 50; ++e) never.update(e, 0.0);
  EXPECT_FALSE(never.should_stop());
}

TEST(LossScaler, SkipsNonFiniteStepsAndGrows) {
  LossScaler scaler(true, 1024.0, /*growth_interval=*/2);
  EXPECT_FALSE(scaler.update(INFINITY));
  EXPECT_DOUBLE_EQ(scaler.scale(), 512.0);
  EXPECT_TRUE(scaler.update(3.0));
  EXPECT_TRUE(scaler.update(3.0));
  EXPECT_DOUBLE_EQ(scaler.scale(), 1024.0);
  EXPECT_EQ(scaler.skipped_steps(), 1);
  LossScaler off(false);
  EXPECT_DOUBLE_EQ(off.scale(), 1.0);
  EXPECT_FALSE(off.update(NAN));
}

// The model section's defaults with one change.
ModelSection with(const std::function<void(ModelSection&)>& change) {
  ModelSection section;
  change(section);
  return section;
}

TEST(Freezing, ByPrefixByLayerCountAndBackbone) {
  auto count_trainable = [](const Model& m) { return m.named_parameters().size(); };
  ModelPtr model = create_model("simple_cnn", {.num_classes = 10, .in_chans = 1});
  const size_t all = count_trainable(*model);
  std::vector<std::string> frozen =
      apply_freezing(*model, with([](ModelSection& m) { m.freeze = {"stages.0"}; }));
  EXPECT_EQ(frozen, (std::vector<std::string>{"stages.0.conv.weight", "stages.0.bn.weight",
                                              "stages.0.bn.bias"}));
  model = create_model("simple_cnn", {.num_classes = 10, .in_chans = 1});
  EXPECT_EQ(apply_freezing(*model, with([](ModelSection& m) { m.freeze_layers = 2; })).size(), 6u);
  model = create_model("simple_cnn", {.num_classes = 10, .in_chans = 1});
  EXPECT_EQ(apply_freezing(*model, with([](ModelSection& m) { m.freeze_backbone = true; })).size(),
            all - 2);  // fc stays
  EXPECT_EQ(model->num_parameters(/*trainable_only=*/true), 256 * 10 + 10);
  EXPECT_THROW(apply_freezing(*model, with([](ModelSection& m) { m.freeze = {"stem"}; })), Error);
  EXPECT_THROW(apply_freezing(*model, with([](ModelSection& m) { m.freeze_layers = 9; })), Error);
}

}  // namespace
}  // namespace fovea::train
