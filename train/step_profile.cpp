#include "train/step_profile.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "kernels/error.h"

namespace fovea::train {

StepProfile::StepProfile(int64_t steps, std::filesystem::path file, bool print)
    : steps_(steps), file_(std::move(file)), print_(print) {}

StepProfile::~StepProfile() = default;

void StepProfile::after_step() {
  if (steps_ <= 0) return;
  ++seen_;
  if (seen_ == 1) {
    profiler_ = std::make_unique<profile::Profiler>();
  } else if (seen_ == steps_ + 1) {
    finish();
  }
}

void StepProfile::end_of_epoch() {
  if (!profiler_) return;
  if (seen_ == 1) {  // the epoch ended on the warm-up step: start again in the next one
    profiler_.reset();
    seen_ = 0;
    return;
  }
  finish();
}

void StepProfile::finish() {
  profiler_->stop();
  const int64_t profiled = seen_ - 1;
  const std::string text =
      fmt::format("per-op profile of {} training steps (after one warm-up step)\n{}", profiled,
                  profiler_->table(profiled));
  profiler_.reset();
  steps_ = 0;
  std::ofstream out(file_);
  out << text;
  FOVEA_CHECK(out.good(), "--profile-steps: could not write {}", file_.string());
  if (print_) std::cout << '\n' << text << "(also in " << file_.string() << ")\n";
}

}  // namespace fovea::train
