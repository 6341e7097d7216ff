#pragma once
// Early stopping on any metric, in either direction: training stops once the monitored
// value has not improved for `patience` epochs in a row (patience 0: never).
#include <cmath>
#include <cstdint>

#include "train/config_choices.h"

namespace fovea::train {

class EarlyStopper {
 public:
  EarlyStopper(MonitorMode mode, int64_t patience)
      : maximize_(mode == MonitorMode::max), patience_(patience) {}

  // Records epoch `epoch` (1-based); returns true when it is the best so far. NaN never
  // improves.
  bool update(int64_t epoch, double value) {
    const bool improved =
        !std::isnan(value) && (best_epoch_ == 0 || (maximize_ ? value > best_ : value < best_));
    if (improved) {
      best_ = value;
      best_epoch_ = epoch;
      bad_epochs_ = 0;
    } else {
      ++bad_epochs_;
    }
    return improved;
  }
  bool should_stop() const { return patience_ > 0 && bad_epochs_ >= patience_; }

  double best() const { return best_; }
  int64_t best_epoch() const { return best_epoch_; }  // 0: none yet
  int64_t bad_epochs() const { return bad_epochs_; }
  void restore(double best, int64_t best_epoch, int64_t bad_epochs) {
    best_ = best;
    best_epoch_ = best_epoch;
    bad_epochs_ = bad_epochs;
  }

 private:
  bool maximize_;
  int64_t patience_;
  double best_ = 0.0;
  int64_t best_epoch_ = 0;
  int64_t bad_epochs_ = 0;
};

}  // namespace fovea::train
