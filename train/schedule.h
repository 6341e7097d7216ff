#pragma once
// Learning-rate schedules, evaluated per optimizer step: a linear warmup from warmup_lr
// to lr, then cosine (to min_lr), step, multistep, constant, or plateau (reduce by gamma
// after plateau_patience epochs without improvement of the monitored metric).
#include <cstdint>
#include <string>

#include "train/config.h"

namespace fovea::train {

class LrSchedule {
 public:
  LrSchedule(const TrainingSection& config, int64_t steps_per_epoch);

  // The learning rate for optimizer step `step` (0 for the first update).
  double lr(int64_t step) const;
  // Plateau bookkeeping at the end of each epoch (other schedules ignore it).
  void end_epoch(double monitored_value);

  // Plateau state, for checkpoints.
  std::string state() const;
  void load_state(const std::string& state);
  int64_t warmup_steps() const { return warmup_steps_; }

 private:
  TrainingSection config_;
  int64_t steps_per_epoch_;
  int64_t warmup_steps_;
  int64_t total_steps_;
  bool maximize_;
  double plateau_scale_ = 1.0;
  double plateau_best_ = 0.0;
  bool plateau_seen_ = false;
  int64_t plateau_bad_epochs_ = 0;
};

}  // namespace fovea::train
