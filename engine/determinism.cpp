#include "engine/determinism.h"

#include <atomic>

namespace fovea {

namespace {

std::atomic<bool>& deterministic_flag() {
  static std::atomic<bool> flag{true};
  return flag;
}

}  // namespace

void set_deterministic_algorithms(bool deterministic) {
  deterministic_flag().store(deterministic, std::memory_order_relaxed);
}

bool deterministic_algorithms() {
  return deterministic_flag().load(std::memory_order_relaxed);
}

}  // namespace fovea
