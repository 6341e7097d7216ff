// engine/determinism.h: deterministic algorithms are on by default and the switch holds.
#include <gtest/gtest.h>

#include "engine/determinism.h"

namespace fovea {
namespace {

TEST(Determinism, DeterministicAlgorithmsByDefaultAndSettable) {
  EXPECT_TRUE(deterministic_algorithms());
  set_deterministic_algorithms(false);
  EXPECT_FALSE(deterministic_algorithms());
  set_deterministic_algorithms(true);
  EXPECT_TRUE(deterministic_algorithms());
}

}  // namespace
}  // namespace fovea
