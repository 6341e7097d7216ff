// window_partition / window_reverse (Swin's shifted window gather) on CUDA against the CPU
// reference, forward and gradient (each op's backward is the other): every vector width
// (16, 8, 4 and 2 bytes, picked from the channel row and the pointers' alignment), shift
// 0 and 3, padded grids, batch 1 and 3, multi-block windows, non-contiguous and
// misaligned inputs.
#include <gtest/gtest.h>

#include <string>

#include "engine/ops/window_partition.h"
#include "tests/cuda/inputs.h"
#include "tests/support/cuda_testing.h"

namespace fovea {
namespace {

using testing::cuda_matches_cpu;
using testing::kCudaDtypes;
using testing::uniform_input;

struct Case {
  Shape grid;  // [B, H, W, C]
  Window window;
};

// Odd channel counts (3, 13, 97: 2- and 4-byte words), 4 and 96 (8 and 16 bytes), grids
// that are not multiples of the window, Swin-T stage 1's windows at batch 2 (many blocks
// per window in the second grid dimension), batch 1 and 3.
const Case kCases[] = {{{1, 14, 14, 3}, {7, 7}},  {{3, 9, 11, 13}, {4, 4}},
                       {{3, 10, 13, 97}, {7, 7}}, {{1, 8, 8, 4}, {4, 4}},
                       {{2, 56, 56, 96}, {7, 7}}, {{1, 16, 16, 96}, {7, 7}}};

std::string name(const char* op, const Case& c, int64_t shift, DType dtype) {
  return std::string(op) + " " + shape_str(c.grid) + " window " + std::to_string(c.window[0]) +
         "x" + std::to_string(c.window[1]) + " shift " + std::to_string(shift) + " " +
         dtype_name(dtype);
}

int64_t windows_per_image(const Case& c) {
  return ((c.grid[1] + c.window[0] - 1) / c.window[0]) *
         ((c.grid[2] + c.window[1] - 1) / c.window[1]);
}

TEST(WindowPartitionCuda, PartitionMatchesCpu) {
  FOVEA_REQUIRE_GPU();
  uint64_t seed = 1;
  for (const Case& c : kCases) {
    for (int64_t shift : {0, 3}) {
      for (DType dtype : kCudaDtypes) {
        const Window window = c.window, shifts{shift, shift};
        EXPECT_TRUE(cuda_matches_cpu(
            [window, shifts](const TensorList& in) {
              return window_partition(in[0], window, shifts);
            },
            {uniform_input(c.grid, seed++)}, dtype, name("window_partition", c, shift, dtype)));
      }
    }
  }
}

TEST(WindowPartitionCuda, ReverseMatchesCpu) {
  FOVEA_REQUIRE_GPU();
  uint64_t seed = 100;
  for (const Case& c : kCases) {
    const Shape windows{c.grid[0] * windows_per_image(c), c.window[0] * c.window[1], c.grid[3]};
    for (int64_t shift : {0, 3}) {
      for (DType dtype : kCudaDtypes) {
        const Window window = c.window, shifts{shift, shift};
        const int64_t height = c.grid[1], width = c.grid[2];
        EXPECT_TRUE(cuda_matches_cpu(
            [window, shifts, height, width](const TensorList& in) {
              return window_reverse(in[0], window, height, width, shifts);
            },
            {uniform_input(windows, seed++)}, dtype, name("window_reverse", c, shift, dtype)));
      }
    }
  }
}

TEST(WindowPartitionCuda, NonContiguousAndMisalignedInputs) {
  FOVEA_REQUIRE_GPU();
  for (DType dtype : kCudaDtypes) {
    // NCHW -> NHWC view: the op makes it contiguous first.
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return window_partition(in[0].permute({0, 2, 3, 1}), {7, 7}, {3, 3});
        },
        {uniform_input({2, 16, 15, 17}, 500)}, dtype,
        std::string("window_partition of a permuted view ") + dtype_name(dtype)));
    // A contiguous view one element into its buffer: 32 channels make 16-byte rows, but
    // the pointer is only element-aligned, so the kernel must take a narrower word.
    const int64_t numel = 2 * 9 * 9 * 32;
    EXPECT_TRUE(cuda_matches_cpu(
        [numel](const TensorList& in) {
          const Tensor x = in[0].narrow(0, 1, numel).reshape({2, 9, 9, 32});
          return window_partition(x, {7, 7}, {3, 3});
        },
        {uniform_input({numel + 1}, 501)}, dtype,
        std::string("window_partition of a misaligned view ") + dtype_name(dtype)));
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          const Tensor windows = in[0].narrow(0, 1, 2 * 4 * 49 * 32).reshape({2 * 4, 49, 32});
          return window_reverse(windows, {7, 7}, 9, 9, {3, 3});
        },
        {uniform_input({2 * 4 * 49 * 32 + 1}, 502)}, dtype,
        std::string("window_reverse of a misaligned view ") + dtype_name(dtype)));
  }
}

}  // namespace
}  // namespace fovea
