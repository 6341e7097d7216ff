#include "train/schedule.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "kernels/error.h"

namespace fovea::train {

LrSchedule::LrSchedule(const TrainingSection& config, int64_t steps_per_epoch)
    : config_(config),
      steps_per_epoch_(std::max<int64_t>(steps_per_epoch, 1)),
      warmup_steps_(config.warmup_steps > 0
                        ? config.warmup_steps
                        : static_cast<int64_t>(std::llround(
                              config.warmup_epochs * static_cast<double>(steps_per_epoch_)))),
      total_steps_(config.epochs * steps_per_epoch_),
      maximize_(config.early_stopping.mode == MonitorMode::max) {}

double LrSchedule::lr(int64_t step) const {
  const double base = config_.lr;
  if (step < warmup_steps_) {
    const double t = static_cast<double>(step) / static_cast<double>(warmup_steps_);
    return config_.warmup_lr + (base - config_.warmup_lr) * t;
  }
  const int64_t epoch = step / steps_per_epoch_;
  switch (config_.schedule) {
    case ScheduleKind::cosine: {
      const double span = static_cast<double>(std::max<int64_t>(total_steps_ - warmup_steps_, 1));
      const double t = std::min(1.0, static_cast<double>(step - warmup_steps_) / span);
      return config_.min_lr + 0.5 * (base - config_.min_lr) * (1.0 + std::cos(M_PI * t));
    }
    case ScheduleKind::step:
      return base * std::pow(config_.gamma, static_cast<double>(epoch / config_.step_epochs));
    case ScheduleKind::multistep: {
      const auto passed = std::count_if(config_.milestones.begin(), config_.milestones.end(),
                                        [epoch](int64_t m) { return epoch >= m; });
      return base * std::pow(config_.gamma, static_cast<double>(passed));
    }
    case ScheduleKind::plateau:
      return std::max(config_.min_lr, base * plateau_scale_);
    case ScheduleKind::constant:
      return base;
  }
  return base;
}

void LrSchedule::end_epoch(double value) {
  if (config_.schedule != ScheduleKind::plateau || std::isnan(value)) return;
  const bool better = !plateau_seen_ || (maximize_ ? value > plateau_best_ : value < plateau_best_);
  if (better) {
    plateau_best_ = value;
    plateau_seen_ = true;
    plateau_bad_epochs_ = 0;
  } else if (++plateau_bad_epochs_ > config_.plateau_patience) {
    plateau_scale_ *= config_.gamma;
    plateau_bad_epochs_ = 0;
  }
}

std::string LrSchedule::state() const {
  return nlohmann::json{{"scale", plateau_scale_},
                        {"best", plateau_best_},
                        {"seen", plateau_seen_},
                        {"bad_epochs", plateau_bad_epochs_}}
      .dump();
}

void LrSchedule::load_state(const std::string& state) {
  const auto j = nlohmann::json::parse(state);
  plateau_scale_ = j.at("scale");
  plateau_best_ = j.at("best");
  plateau_seen_ = j.at("seen");
  plateau_bad_epochs_ = j.at("bad_epochs");
}

}  // namespace fovea::train
