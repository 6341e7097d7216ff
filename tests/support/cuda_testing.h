#pragma once
// For the `cuda` tier: every test starts with FOVEA_REQUIRE_GPU(), which skips it with a
// clear message on machines without a GPU (CI, and any CPU-only build).
#include <gtest/gtest.h>

#include "engine/device.h"

#ifdef FOVEA_HAS_CUDA
#define FOVEA_REQUIRE_GPU()                                                          \
  do {                                                                               \
    if (!::fovea::cuda_available())                                                  \
      GTEST_SKIP() << "no CUDA device visible: the cuda tests run on a GPU machine " \
                      "(scripts/gpu-check.sh)";                                      \
  } while (0)
#else
#define FOVEA_REQUIRE_GPU() GTEST_SKIP() << "this build has no CUDA backend (FOVEA_CUDA=OFF)"
#endif
