#pragma once
// For the `cuda` tier: every test starts with FOVEA_REQUIRE_GPU(), which skips it with a
// clear message on machines without a GPU (CI, and any CPU-only build), and compares a CUDA
// op against the CPU reference with expect_cuda_matches_cpu().
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "engine/cuda_backend.h"
#include "engine/device.h"
#include "tests/support/testing.h"

#define FOVEA_REQUIRE_GPU()                                                          \
  do {                                                                               \
    if (!::fovea::cuda::built())                                                     \
      GTEST_SKIP() << "this build has no CUDA backend (FOVEA_CUDA=OFF)";             \
    if (!::fovea::cuda_available())                                                  \
      GTEST_SKIP() << "no CUDA device visible: the cuda tests run on a GPU machine " \
                      "(scripts/gpu-check.sh)";                                      \
  } while (0)

namespace fovea::testing {

struct CudaTolerance {
  double atol = 1e-5;
  double rtol = 1e-5;
};

// DESIGN.md's tolerances against the f32 CPU reference: f32 about 1e-5, bf16/f16 about
// 1e-2 relative (atol covers values near zero, where a 16-bit rounding is absolute).
CudaTolerance cuda_tolerance(DType dtype);

// Runs f on `inputs` (f32 CPU tensors; floating ones become leaves requiring grad) on the
// CPU in f32, and on CUDA with the floating inputs converted to `dtype`. With every new
// block poisoned (NaN), compares the outputs and, after backpropagating one random upstream
// gradient, every floating input's gradient. `what` names the case in failure messages.
::testing::AssertionResult cuda_matches_cpu(const TestFunction& f, const TensorList& inputs,
                                            DType dtype, const std::string& what,
                                            CudaTolerance tolerance);
inline ::testing::AssertionResult cuda_matches_cpu(const TestFunction& f, const TensorList& inputs,
                                                   DType dtype, const std::string& what) {
  return cuda_matches_cpu(f, inputs, dtype, what, cuda_tolerance(dtype));
}

// For whole networks, where an element-wise tolerance means little (a logit near zero
// carries the rounding of every layer before it): the error of each tensor of `expected`
// against the tensor of the same name in `actual`, max|actual - expected| /
// max(max|expected|, floor), where floor = floor_fraction * the largest max|expected| over
// the whole map, so that a tensor that is zero or nearly so (a gradient cut by a
// zero-initialised gate) is measured against the scale of the run instead of against
// nothing. Infinite for a tensor missing from `actual`, mis-shaped, defined on one side
// only, or non-finite. Tensors may be on any device and in any floating dtype.
std::map<std::string, double> relative_to_max_errors(const TensorMap& actual,
                                                     const TensorMap& expected,
                                                     double floor_fraction = 1e-3);

// Every error of relative_to_max_errors within `tolerance`; the message (also on success)
// gives the worst error and its name, and on failure every failing tensor.
::testing::AssertionResult close_relative_to_max(const TensorMap& actual, const TensorMap& expected,
                                                 double tolerance, double floor_fraction = 1e-3);

}  // namespace fovea::testing
