// Shape ops: exact results on cases worked by hand or rebuilt another way, torch's
// semantics at the edges (split/chunk pieces, empty dims), and the error messages.
#include <gtest/gtest.h>

#include "engine/autocast.h"
#include "engine/ops/shape.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::error_of;

Tensor counting(const Shape& shape, DType dtype = DType::f32) {
  return arange(0.0, static_cast<double>(shape_numel(shape)), 1.0, {.dtype = dtype}).reshape(shape);
}

std::vector<int64_t> sizes_along(const TensorList& pieces, int64_t dim) {
  std::vector<int64_t> sizes;
  for (const Tensor& p : pieces) sizes.push_back(p.size(dim));
  return sizes;
}

TEST(Cat, ChannelConcatOfLargeNhwcMapsMatchesSliceCopies) {
  // Large enough to run on every thread; one input has zero channels.
  const TensorList parts = {counting({8, 16, 16, 64}), counting({8, 16, 16, 32}),
                            counting({8, 16, 16, 0}), add(counting({8, 16, 16, 3}), 0.5)};
  const Tensor out = cat(parts, 3);
  ASSERT_EQ(out.shape(), (Shape{8, 16, 16, 99}));
  int64_t start = 0;
  for (const Tensor& p : parts) {
    EXPECT_ALL_CLOSE(out.narrow(3, start, p.size(3)), p, 0, 0);
    start += p.size(3);
  }
  const Tensor rows = cat({counting({300, 200}), counting({100, 200})}, 0);
  EXPECT_ALL_CLOSE(rows.narrow(0, 300, 100), counting({100, 200}), 0, 0);
}

TEST(Cat, MovesAnyDtypeAndPromotesOnlyUnderAutocast) {
  const Tensor a = counting({2, 2}, DType::bf16), b = counting({2, 1}, DType::bf16);
  const Tensor joined = cat({a, b}, 1);
  EXPECT_EQ(joined.dtype(), DType::bf16);
  EXPECT_EQ(joined.to_vector<float>(), (std::vector<float>{0, 1, 0, 2, 3, 1}));
  EXPECT_EQ(cat({arange(3), arange(2)}, 0).to_vector<int64_t>(),
            (std::vector<int64_t>{0, 1, 2, 0, 1}));
  const Tensor f = counting({2, 1});
  EXPECT_EQ(error_of([&] {
              cat({a, f}, 1);
            }),
            "cat: tensor 1 is f32 but tensor 0 is bf16; convert them to one dtype first");
  AutocastGuard autocast(DType::bf16);
  const Tensor promoted = cat({a, f}, 1);
  EXPECT_EQ(promoted.dtype(), DType::f32);
  EXPECT_EQ(promoted.to_vector<float>(), (std::vector<float>{0, 1, 0, 2, 3, 1}));
}

TEST(Cat, BackwardGivesEachInputItsSlice) {
  Tensor a = counting({2, 3}).requires_grad_(), b = counting({2, 1}).requires_grad_();
  const Tensor y = cat({a, b}, 1);
  y.backward(counting({2, 4}));
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{0, 1, 2, 4, 5, 6}));
  EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{3, 7}));
}

TEST(Stack, AddsADim) {
  const Tensor s = stack({counting({2, 3}), add(counting({2, 3}), 10.0)}, -1);
  ASSERT_EQ(s.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15}));
}

TEST(SplitChunk, FollowTorchForTheLastPieceAndEmptyDims) {
  const Tensor x = counting({5, 3});
  EXPECT_EQ(sizes_along(split(x, 2, 0), 0), (std::vector<int64_t>{2, 2, 1}));
  EXPECT_EQ(sizes_along(split(x, 7, 0), 0), (std::vector<int64_t>{5}));
  EXPECT_EQ(sizes_along(split(x, std::vector<int64_t>{1, 0, 2}, 1), 1),
            (std::vector<int64_t>{1, 0, 2}));
  EXPECT_EQ(sizes_along(chunk(x, 4, 0), 0), (std::vector<int64_t>{2, 2, 1}));
  EXPECT_EQ(sizes_along(chunk(counting({6, 3}), 4, 0), 0), (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(sizes_along(chunk(counting({0, 3}), 3, 0), 0), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(sizes_along(split(counting({0, 3}), 2, 0), 0), (std::vector<int64_t>{0}));
  // Pieces are views of x.
  const TensorList pieces = split(x, 2, 0);
  EXPECT_EQ(pieces[1].storage().get(), x.storage().get());
  EXPECT_EQ(pieces[1].to_vector<float>(), (std::vector<float>{6, 7, 8, 9, 10, 11}));
}

TEST(Pad, OrdersPairsFromTheLastDimAndCrops) {
  const Tensor x = counting({2, 3});
  const Tensor y = pad(x, {1, -1, 0, 1}, 9.0);  // last dim: +1 left, -1 right; dim 0: +1 below
  ASSERT_EQ(y.shape(), (Shape{3, 3}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{9, 0, 1, 9, 3, 4, 9, 9, 9}));
  EXPECT_EQ(pad(arange(4), {-4, 2}, 7.0).to_vector<int64_t>(), (std::vector<int64_t>{7, 7}));
}

TEST(Roll, MatchesTorchRoll) {
  const Tensor x = counting({2, 3});
  EXPECT_EQ(roll(x, {1}, {1}).to_vector<float>(), (std::vector<float>{2, 0, 1, 5, 3, 4}));
  EXPECT_EQ(roll(x, {-1, 4}, {0, 1}).to_vector<float>(), (std::vector<float>{5, 3, 4, 2, 0, 1}));
  EXPECT_EQ(roll(x, {2}, {}).to_vector<float>(), (std::vector<float>{4, 5, 0, 1, 2, 3}));
  // A dim named twice rolls by the sum.
  EXPECT_EQ(roll(x, {1, 1}, {1, -1}).to_vector<float>(), roll(x, {2}, {1}).to_vector<float>());
}

TEST(Indexing, GatherIndexSelectEmbeddingOneHot) {
  const Tensor x = counting({3, 4});
  const Tensor index = from_vector<int64_t>({3, 0, 1, 1}, {2, 2});
  EXPECT_EQ(gather(x, 1, index).to_vector<float>(), (std::vector<float>{3, 0, 5, 5}));
  EXPECT_EQ(index_select(x, 0, from_vector<int32_t>({2, 2, 0}, {3})).to_vector<float>(),
            (std::vector<float>{8, 9, 10, 11, 8, 9, 10, 11, 0, 1, 2, 3}));
  const Tensor e = embedding(x, from_vector<int64_t>({1, 2, 0, 1, 1, 1}, {3, 2}));
  EXPECT_EQ(e.shape(), (Shape{3, 2, 4}));
  EXPECT_EQ(embedding(x, scalar_tensor(2, DType::i64)).to_vector<float>(),
            (std::vector<float>{8, 9, 10, 11}));
  const Tensor hot = one_hot(from_vector<int64_t>({2, 0, 1}, {3}));
  EXPECT_EQ(hot.dtype(), DType::i64);
  EXPECT_EQ(hot.shape(), (Shape{3, 3}));
  EXPECT_EQ(hot.to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 1, 1, 0, 0, 0, 1, 0}));
  EXPECT_FALSE(hot.requires_grad());
}

TEST(Interpolate, SameSizeIsACopyAndSixteenBitWorks) {
  const Tensor x = counting({2, 3, 4, 5});
  for (const std::string mode : {"nearest", "bilinear", "bicubic"}) {
    EXPECT_ALL_CLOSE(interpolate(x, {.size = {{3, 4}}, .mode = mode}), x, 0, 0) << mode;
  }
  const Tensor up =
      interpolate(x.to(DType::bf16), {.scale_factor = {{2.0, 2.0}}, .mode = "bilinear"});
  EXPECT_EQ(up.dtype(), DType::bf16);
  EXPECT_EQ(up.shape(), (Shape{2, 6, 8, 5}));
  // Nearest doubling repeats every pixel twice along each axis.
  const Tensor doubled = interpolate(x, {.scale_factor = {{2.0, 2.0}}, .mode = "nearest"});
  EXPECT_ALL_CLOSE(doubled.slice(1, 0, 6, 2).slice(2, 1, 8, 2), x, 0, 0);
}

TEST(ShapeErrors, NameTheOpTheShapesAndTheFix) {
  const Tensor a = counting({2, 4}), b = counting({2, 5});
  EXPECT_EQ(
      error_of([&] {
        cat({a, counting({3, 5})}, 1);
      }),
      "cat: tensor 1 has shape [3, 5] but tensor 0 has [2, 4]; all dims but dim 1 must match");
  EXPECT_EQ(
      error_of([&] {
        cat({a, counting({2, 4, 1})}, 0);
      }),
      "cat: tensor 1 has shape [2, 4, 1] but tensor 0 has [2, 4]; all dims but dim 0 must match");
  EXPECT_EQ(error_of([] { cat({}, 0); }), "cat: expected a non-empty list of tensors");
  EXPECT_EQ(
      error_of([&] {
        stack({a, b}, 0);
      }),
      "stack: tensor 1 has shape [2, 5] but tensor 0 has [2, 4]; all must have the same shape");
  EXPECT_EQ(error_of([&] {
              split(a, std::vector<int64_t>{1, 2}, 1);
            }),
            "split: sizes [1, 2] sum to 3 but dim 1 has size 4 (shape [2, 4])");
  EXPECT_EQ(error_of([&] { split(a, 0, 1); }),
            "split: split_size must be positive, got 0 for dim 1 of size 4");
  EXPECT_EQ(error_of([&] { chunk(a, 0, 1); }), "chunk: chunks must be positive, got 0");
  EXPECT_EQ(error_of([&] { pad(a, {1}); }),
            "pad: pads must come in (left, right) pairs, got 1 values [1]");
  EXPECT_EQ(error_of([&] {
              pad(a, {0, 0, 0, 0, 1, 1});
            }),
            "pad: [0, 0, 0, 0, 1, 1] pads 3 dims but the input of shape [2, 4] has 2");
  EXPECT_EQ(error_of([&] {
              pad(a, {-3, -2});
            }),
            "pad: padding (-3, -2) of dim 1 (size 4) of shape [2, 4] leaves a negative size -1");
  EXPECT_EQ(error_of([&] { roll(a, {1, 2}, {0}); }), "roll: 2 shifts [1, 2] given for 1 dims [0]");
  const Tensor idx = from_vector<int64_t>({0, 7}, {2});
  EXPECT_EQ(error_of([&] {
              index_select(counting({5, 3}), 0, idx);
            }),
            "index_select: index 7 is out of range for dim 0 of size 5 (input of shape [5, 3])");
  EXPECT_EQ(error_of([&] {
              index_select(counting({5, 3}), 1, from_vector<int64_t>({-1}, {1}));
            }),
            "index_select: index -1 is out of range for dim 1 of size 3 (input of shape [5, 3])");
  EXPECT_EQ(error_of([&] { index_select(a, 0, counting({2})); }),
            "index_select: index must be an i64 or i32 tensor, got f32 of shape [2]");
  EXPECT_EQ(error_of([&] {
              index_select(a, 0, from_vector<int64_t>({0, 1}, {1, 2}));
            }),
            "index_select: index must be 1-D, got shape [1, 2]");
  EXPECT_EQ(error_of([&] {
              embedding(counting({5, 3}), from_vector<int64_t>({5}, {1, 1}));
            }),
            "embedding: index 5 is out of range for dim 0 of size 5 (weight of shape [5, 3])");
  EXPECT_EQ(error_of([&] {
              embedding(counting({5, 3}), counting({2, 2}));
            }),
            "embedding: indices must be an i64 or i32 tensor, got f32 of shape [2, 2]");
  EXPECT_EQ(error_of([&] { embedding(counting({5}), idx); }),
            "embedding: weight must be [num_embeddings, dim], got shape [5]");
  EXPECT_EQ(error_of([&] {
              gather(a, 1, from_vector<int64_t>({4}, {1, 1}));
            }),
            "gather: index 4 is out of range for dim 1 of size 4 (input of shape [2, 4])");
  EXPECT_EQ(error_of([&] { gather(a, 1, idx); }),
            "gather: index of shape [2] and input of shape [2, 4] must have the same number of "
            "dims");
  EXPECT_EQ(error_of([&] {
              gather(a, 1, from_vector<int64_t>({0, 0, 0}, {3, 1}));
            }),
            "gather: index of shape [3, 1] is larger than the input of shape [2, 4] in dim 0 (only "
            "dim 1 may be larger)");
  EXPECT_EQ(error_of([&] {
              one_hot(from_vector<int64_t>({1, 3}, {2}), 3);
            }),
            "one_hot: index 3 is out of range for 3 classes (indices of shape [2])");
  EXPECT_EQ(error_of([&] { one_hot(counting({2}), 3); }),
            "one_hot: indices must be an i64 or i32 tensor, got f32 of shape [2]");
  const Tensor image = counting({1, 4, 4, 2});
  EXPECT_EQ(error_of([&] {
              interpolate(a, {.size = {{2, 2}}});
            }),
            "interpolate: expected an NHWC tensor [N, H, W, C], got shape [2, 4]");
  EXPECT_EQ(error_of([&] {
              interpolate(image, {.size = {{2, 2}}, .mode = "area"});
            }),
            "interpolate: mode must be 'nearest', 'bilinear' or 'bicubic', got 'area'");
  EXPECT_EQ(error_of([&] { interpolate(image, {}); }),
            "interpolate: give exactly one of size and scale_factor (got neither)");
  EXPECT_EQ(error_of([&] {
              interpolate(image, {.size = {{2, 2}}, .scale_factor = {{2.0, 2.0}}});
            }),
            "interpolate: give exactly one of size and scale_factor (got both)");
  EXPECT_EQ(error_of([&] {
              interpolate(image, {.size = {{2, 2}}, .align_corners = true});
            }),
            "interpolate: align_corners applies to bilinear and bicubic only, not nearest");
  EXPECT_EQ(error_of([&] {
              interpolate(image, {.scale_factor = {{0.1, 1.0}}, .mode = "bilinear"});
            }),
            "interpolate: scale_factor (0.1, 1) gives an empty output [0, 4] for input of shape "
            "[1, 4, 4, 2]");
}

}  // namespace
}  // namespace fovea
