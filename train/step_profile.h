#pragma once
// `fovea train --profile-steps N`: the per-op profiler (engine/profile.h) over N optimizer
// steps of a real run. The run's first step is left out as warm-up (first allocations,
// first packing of weights); the table then goes to the terminal and to
// <run>/profile.txt, and training goes on unprofiled. The wall time it covers includes
// waiting for the loader, so a run that starves for data shows it as time no op accounts
// for.
#include <cstdint>
#include <filesystem>
#include <memory>

#include "engine/profile.h"

namespace fovea::train {

class StepProfile {
 public:
  StepProfile(int64_t steps, std::filesystem::path file, bool print);
  ~StepProfile();
  // Call after every optimizer step.
  void after_step();
  // Call when the epoch's training ends: a profile still recording stops there, with the
  // steps it saw, so that evaluation never mixes into it.
  void end_of_epoch();

 private:
  void finish();
  int64_t steps_, seen_ = 0;
  std::filesystem::path file_;
  bool print_;
  std::unique_ptr<profile::Profiler> profiler_;
};

}  // namespace fovea::train
