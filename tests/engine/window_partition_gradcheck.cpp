// Finite-difference checks of window_partition / window_reverse in f64: shifted, padded
// (the padding's gradient is dropped), non-contiguous inputs, odd channel counts.
#include <gtest/gtest.h>

#include "engine/ops/elementwise.h"
#include "engine/ops/window_partition.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::gradcheck;
using testing::random_leaf;

TEST(WindowPartitionGradcheck, PartitionShiftedAndPadded) {
  for (int64_t shift : {0, 1}) {
    EXPECT_TRUE(gradcheck(
        [shift](const TensorList& in) {
          // A 5x4 grid in 2x3 windows: one padding row and two padding columns.
          return window_partition(in[0], {2, 3}, {shift, shift});
        },
        {random_leaf({2, 5, 4, 3}, 1 + shift)}));
  }
}

TEST(WindowPartitionGradcheck, ReverseShiftedAndCropped) {
  for (int64_t shift : {0, 1}) {
    EXPECT_TRUE(gradcheck(
        [shift](const TensorList& in) {
          return window_reverse(in[0], {2, 3}, 3, 5, {shift, shift});  // 2x2 windows per image
        },
        {random_leaf({2 * 4, 6, 3}, 3 + shift)}));
  }
}

TEST(WindowPartitionGradcheck, NonContiguousInputsAndRoundTrip) {
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        // [1, 3, 4, 3] NCHW -> a [1, 4, 3, 3] NHWC view with strided channels.
        const Tensor windows = window_partition(in[0].permute({0, 2, 3, 1}), {2, 2}, {1, 1});
        return window_reverse(mul(windows, windows), {2, 2}, 4, 3, {1, 1});
      },
      {random_leaf({1, 3, 4, 3}, 5)}));
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return window_reverse(in[0].transpose(0, 1), {2, 2}, 4, 4, {3, 3});
      },
      {random_leaf({4, 4, 1}, 6)}));
}

}  // namespace
}  // namespace fovea
