#include "engine/rng.h"

namespace fovea {

void Generator::manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  state_ = {seed, 0};
}

RngState Generator::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_;
}

void Generator::set_state(RngState state) {
  std::lock_guard<std::mutex> lock(mutex_);
  state_ = state;
}

RngState Generator::reserve(uint64_t draws) {
  std::lock_guard<std::mutex> lock(mutex_);
  const RngState reserved = state_;
  state_.offset += (draws + 3) / 4;
  return reserved;
}

Generator& default_generator() {
  static Generator generator(0);
  return generator;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

RngStateGuard::RngStateGuard(RngState state) : saved_(default_generator().state()) {
  default_generator().set_state(state);
}

RngStateGuard::~RngStateGuard() { default_generator().set_state(saved_); }

}  // namespace fovea
