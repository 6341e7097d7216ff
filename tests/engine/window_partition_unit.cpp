// window_partition / window_reverse on the CPU: equal, bit for bit, to the composition they
// replace (roll, zero pad, reshape-permute-reshape; and back), layouts worked out by hand,
// any dtype, and clear errors.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "engine/ops/factory.h"
#include "engine/ops/shape.h"
#include "engine/ops/window_partition.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::random_leaf;

int64_t round_up(int64_t size, int64_t multiple) {
  return (size + multiple - 1) / multiple * multiple;
}

// The composition Swin used before the fused gather: roll by -shift, pad at the bottom and
// right to whole windows, cut into windows.
Tensor composed_partition(const Tensor& x, Window window, Window shift) {
  const int64_t height = x.size(1), width = x.size(2), channels = x.size(3);
  const int64_t padded_h = round_up(height, window[0]), padded_w = round_up(width, window[1]);
  const Tensor rolled = roll(x, {-shift[0], -shift[1]}, {1, 2});
  const Tensor padded = pad(rolled, {0, 0, 0, padded_w - width, 0, padded_h - height});
  return padded
      .reshape(
          {x.size(0), padded_h / window[0], window[0], padded_w / window[1], window[1], channels})
      .permute({0, 1, 3, 2, 4, 5})
      .reshape({-1, window[0] * window[1], channels});
}

// Its inverse: merge the windows, crop the padding, roll by +shift.
Tensor composed_reverse(const Tensor& windows, Window window, int64_t height, int64_t width,
                        Window shift) {
  const int64_t padded_h = round_up(height, window[0]), padded_w = round_up(width, window[1]);
  const int64_t channels = windows.size(2);
  const Tensor grid =
      windows
          .reshape({-1, padded_h / window[0], padded_w / window[1], window[0], window[1], channels})
          .permute({0, 1, 3, 2, 4, 5})
          .reshape({-1, padded_h, padded_w, channels})
          .slice(1, 0, height)
          .slice(2, 0, width);
  return roll(grid, {shift[0], shift[1]}, {1, 2});
}

// x[b, h, w, c] = 1000 b + 100 h + 10 w + c.
Tensor labelled_grid(int64_t batch, int64_t height, int64_t width, int64_t channels) {
  std::vector<float> values;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < height; ++h)
      for (int64_t w = 0; w < width; ++w)
        for (int64_t c = 0; c < channels; ++c) values.push_back(1000 * b + 100 * h + 10 * w + c);
  return from_vector(values, {batch, height, width, channels});
}

TEST(WindowPartition, EqualsRollPadAndPermute) {
  struct Case {
    Shape grid;
    Window window;
  };
  // Odd channels; grids that are and are not multiples of the window; batch 1 and 3.
  const Case cases[] = {{{1, 14, 14, 3}, {7, 7}}, {{3, 14, 21, 5}, {7, 7}}, {{3, 8, 8, 7}, {4, 4}},
                        {{1, 9, 11, 3}, {4, 4}},  {{3, 10, 13, 5}, {7, 7}}, {{1, 6, 9, 1}, {2, 3}}};
  uint64_t seed = 1;
  for (const Case& c : cases) {
    for (int64_t shift : {0, 3}) {
      const Window shifts{shift, shift};
      const Tensor x = random_leaf(c.grid, seed++).detach();
      const Tensor windows = window_partition(x, c.window, shifts);
      const std::string what = shape_str(c.grid) + " window " + std::to_string(c.window[0]) + "x" +
                               std::to_string(c.window[1]) + " shift " + std::to_string(shift);
      EXPECT_ALL_CLOSE(windows, composed_partition(x, c.window, shifts), 0, 0) << what;
      const Tensor back = window_reverse(windows, c.window, c.grid[1], c.grid[2], shifts);
      EXPECT_ALL_CLOSE(back, composed_reverse(windows, c.window, c.grid[1], c.grid[2], shifts), 0,
                       0)
          << what;
      EXPECT_ALL_CLOSE(back, x, 0, 0) << what;
    }
  }
}

TEST(WindowPartition, TakesRowMajorWindowsOfRowMajorTokens) {
  const Tensor x = labelled_grid(2, 4, 6, 1);
  const Tensor windows = window_partition(x, {2, 3});  // 2 x 2 windows per image
  ASSERT_EQ(windows.shape(), (Shape{8, 6, 1}));
  // Image 1, window (1, 0): rows 2-3, columns 0-2.
  EXPECT_EQ(windows.select(0, 6).flatten().to_vector<float>(),
            (std::vector<float>{1200, 1210, 1220, 1300, 1310, 1320}));
}

TEST(WindowPartition, RollsFirstThenPadsWithZeros) {
  // A 3x3 grid, 2x2 windows, shift 1: the rolled grid starts at row 1, column 1; the
  // bottom-right window holds the old (0, 0) and three padding zeros.
  const Tensor windows = window_partition(labelled_grid(1, 3, 3, 1), {2, 2}, {1, 1});
  ASSERT_EQ(windows.shape(), (Shape{4, 4, 1}));
  EXPECT_EQ(windows.select(0, 0).flatten().to_vector<float>(),
            (std::vector<float>{110, 120, 210, 220}));
  EXPECT_EQ(windows.select(0, 3).flatten().to_vector<float>(), (std::vector<float>{0, 0, 0, 0}));
  EXPECT_EQ(windows.select(0, 1).flatten().to_vector<float>(),
            (std::vector<float>{100, 0, 200, 0}));
  // A shift of the grid's size (or a negative one) is a roll by its remainder.
  EXPECT_ALL_CLOSE(window_partition(labelled_grid(1, 3, 3, 1), {2, 2}, {4, -2}), windows, 0, 0);
}

TEST(WindowPartition, MovesAnyDtypeAsBytes) {
  const Tensor x = random_leaf({2, 5, 6, 3}, 7, 0.0, 50.0).detach();
  ASSERT_EQ(window_partition(x, {4, 4}, {3, 3}).shape(), (Shape{8, 16, 3}));
  for (DType dtype : {DType::f16, DType::bf16, DType::i64, DType::u8}) {
    const Tensor narrow = x.to(dtype);
    const Tensor windows = window_partition(narrow, {4, 4}, {3, 3});
    EXPECT_EQ(windows.dtype(), dtype);
    EXPECT_ALL_CLOSE(windows.to(DType::f32),
                     composed_partition(narrow, {4, 4}, {3, 3}).to(DType::f32), 0, 0)
        << dtype_name(dtype);
    EXPECT_ALL_CLOSE(window_reverse(windows, {4, 4}, 5, 6, {3, 3}).to(DType::f32),
                     narrow.to(DType::f32), 0, 0)
        << dtype_name(dtype);
  }
}

TEST(WindowPartition, NonContiguousInput) {
  const Tensor base = random_leaf({2, 3, 8, 6}, 8).detach();
  const Tensor x = base.permute({0, 2, 3, 1});  // [2, 8, 6, 3], channels strided
  EXPECT_ALL_CLOSE(window_partition(x, {4, 3}, {2, 1}), composed_partition(x, {4, 3}, {2, 1}), 0,
                   0);
}

void expect_error(const std::function<void()>& f, const std::string& text) {
  try {
    f();
    FAIL() << "expected fovea::Error containing: " << text;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

TEST(WindowPartition, BadArgumentsThrowClearErrors) {
  const Tensor grid = zeros({2, 4, 4, 3});
  expect_error(
      [&] {
        window_partition(zeros({4, 4, 3}), {2, 2});
      },
      "window_partition: expected a grid [B, H, W, C], got [4, 4, 3]");
  expect_error(
      [&] {
        window_partition(grid, {0, 2});
      },
      "window_partition: the window must be positive, got 0x2");
  expect_error(
      [&] {
        window_reverse(zeros({8, 4}), {2, 2}, 4, 4);
      },
      "window_reverse: expected windows [B * nW, Wh * Ww, C], got [8, 4]");
  expect_error(
      [&] {
        window_reverse(zeros({7, 4, 3}), {2, 2}, 4, 4);
      },
      "window_reverse: windows of shape [7, 4, 3] do not tile a 4x4 grid with 2x2 "
      "windows: expected [B * 4, 4, C]");
  expect_error(
      [&] {
        window_reverse(zeros({8, 6, 3}), {2, 2}, 4, 4);
      },
      "window_reverse: windows of shape [8, 6, 3] do not tile");
  expect_error(
      [&] {
        window_reverse(zeros({0, 4, 3}), {2, 2}, 0, 4);
      },
      "window_reverse: the grid must be non-empty, got 0x4");
}

}  // namespace
}  // namespace fovea
