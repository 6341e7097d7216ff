// Early stopping on a scripted sequence of metric values, in both directions.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/error.h"
#include "train/config.h"
#include "train/early_stopping.h"

namespace fovea::train {
namespace {

// Feeds `values` (epochs 1, 2, ...) and returns the epoch at which training stops (0: never).
int64_t stop_epoch(EarlyStopper& stopper, const std::vector<double>& values) {
  for (size_t i = 0; i < values.size(); ++i) {
    stopper.update(static_cast<int64_t>(i) + 1, values[i]);
    if (stopper.should_stop()) return static_cast<int64_t>(i) + 1;
  }
  return 0;
}

TEST(EarlyStopping, StopsAfterPatienceEpochsWithoutAMacroF1Improvement) {
  EarlyStopper stopper(MonitorMode::max, 3);
  // Best at epoch 3 (0.80); epochs 4-6 do not beat it (0.80 again is no improvement).
  EXPECT_EQ(stop_epoch(stopper, {0.50, 0.70, 0.80, 0.79, 0.80, 0.75, 0.90}), 6);
  EXPECT_EQ(stopper.best_epoch(), 3);
  EXPECT_DOUBLE_EQ(stopper.best(), 0.80);
}

TEST(EarlyStopping, AnImprovementResetsThePatience) {
  EarlyStopper stopper(MonitorMode::max, 2);
  EXPECT_EQ(stop_epoch(stopper, {0.5, 0.4, 0.6, 0.55, 0.7, 0.6, 0.6}), 7);
  EXPECT_EQ(stopper.best_epoch(), 5);
}

TEST(EarlyStopping, MinimisesValidationLoss) {
  EarlyStopper stopper(MonitorMode::min, 2);
  EXPECT_EQ(stop_epoch(stopper, {1.0, 0.8, 0.9, 0.85}), 4);
  EXPECT_EQ(stopper.best_epoch(), 2);
}

TEST(EarlyStopping, NanNeverImprovesAndPatienceZeroNeverStops) {
  EarlyStopper stopper(MonitorMode::max, 1);
  EXPECT_EQ(stop_epoch(stopper, {0.3, std::nan("")}), 2);
  EarlyStopper never(MonitorMode::min, 0);
  EXPECT_EQ(stop_epoch(never, {1, 2, 3, 4, 5, 6}), 0);
}

// The mode is an enum by the time a stopper sees it: the config loader refuses the rest.
TEST(EarlyStopping, AnUnknownModeStopsAtTheConfig) {
  TrainConfig config;
  try {
    apply_override(config, "training.early_stopping.mode=maximize");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("must be one of max, min, got 'maximize'"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace fovea::train
