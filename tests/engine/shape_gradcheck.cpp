// Finite-difference checks of the shape and random ops in f64: non-contiguous inputs,
// pieces used unequally, negative pads, duplicate indices, every interpolation mode.
#include <gtest/gtest.h>

#include "engine/ops/random.h"
#include "engine/ops/shape.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::gradcheck;
using testing::random_leaf;

TEST(ShapeGradcheck, CatAndStackOfNonContiguousInputs) {
  Tensor a = random_leaf({3, 2, 4}, 1), b = random_leaf({2, 3, 5}, 2),
         d = random_leaf({3, 2, 1}, 3);
  // b is transposed into [3, 2, 5]; the cat runs along the last dim (NHWC channel concat).
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return cat({in[0], in[1].transpose(0, 1), in[2]}, -1);
      },
      {a, b, d}));
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return cat({in[0].slice(2, 0, 4, 2), in[0], in[1]}, 2);
      },
      {a, d}));
  Tensor e = random_leaf({2, 3}, 4), f = random_leaf({3, 2}, 5);
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return cat({in[0], in[1].transpose(0, 1)}, 0);
      },
      {e, f}));
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return stack({in[0], in[1].transpose(0, 1), in[0]}, 1);
      },
      {e, f}));
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return stack({in[0], in[1].transpose(0, 1)}, -1);
      },
      {e, f}));
}

TEST(ShapeGradcheck, SplitAndChunkPiecesUsedUnequally) {
  Tensor x = random_leaf({3, 7}, 6);
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        const TensorList pieces = split(in[0], 3, 1);  // 3, 3, 1
        return cat({mul(pieces[0], 2.0), exp(pieces[2])}, 1);
      },
      {x}));
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        const TensorList pieces = split(in[0], std::vector<int64_t>{2, 0, 5}, -1);
        return mul(pieces[2].slice(1, 0, 2), pieces[0]);
      },
      {x}));
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        const TensorList pieces = chunk(in[0].transpose(0, 1), 3, 0);  // 3, 3, 1 rows
        return add(mul(pieces[1], pieces[1]), pieces[0]);
      },
      {x}));
}

TEST(ShapeGradcheck, Pad) {
  Tensor x = random_leaf({2, 4, 5}, 7);
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return pad(in[0], {1, 2}); }, {x}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return pad(in[0], {-1, 2, 3, -2}, 0.7); }, {x}));
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return pad(in[0].transpose(0, 2), {0, 0, 1, 0, -1, -1});
      },
      {x}));
}

TEST(ShapeGradcheck, Roll) {
  Tensor x = random_leaf({2, 5, 4, 3}, 8);
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return roll(in[0], {-3, 2}, {1, 2}); }, {x}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return roll(in[0], {7}, {}); }, {x}));
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return roll(in[0].transpose(1, 3), {1, 1}, {-1, -1});
      },
      {x}));
}

TEST(ShapeGradcheck, GatherWithDuplicateIndices) {
  Tensor x = random_leaf({3, 4, 2}, 9);
  const Tensor index1 = from_vector<int64_t>({0, 0, 3, 1, 1, 1, 2, 0, 3, 3, 0, 2}, {3, 2, 2});
  EXPECT_TRUE(gradcheck([&](const TensorList& in) { return gather(in[0], 1, index1); }, {x}));
  const Tensor index0 = from_vector<int32_t>({2, 2, 0, 2, 1, 1}, {3, 1, 2});
  EXPECT_TRUE(gradcheck([&](const TensorList& in) { return gather(in[0], 0, index0); }, {x}));
  // Gathering from a strided view, along its last dim.
  const Tensor index2 = from_vector<int64_t>({2, 2, 1, 0, 0, 0}, {2, 1, 3});
  EXPECT_TRUE(gradcheck(
      [&](const TensorList& in) {
        return gather(in[0].permute({2, 0, 1}), -1, index2);
      },
      {x}));
}

TEST(ShapeGradcheck, IndexSelectAndEmbeddingWithDuplicates) {
  Tensor x = random_leaf({5, 3, 2}, 10);
  const Tensor index = from_vector<int64_t>({4, 0, 4, 4, 2}, {5});
  EXPECT_TRUE(gradcheck([&](const TensorList& in) { return index_select(in[0], 0, index); }, {x}));
  const Tensor index32 = from_vector<int32_t>({1, 1, 0}, {3});
  EXPECT_TRUE(
      gradcheck([&](const TensorList& in) { return index_select(in[0], 2, index32); }, {x}));
  EXPECT_TRUE(gradcheck(
      [&](const TensorList& in) { return index_select(in[0].transpose(0, 1), 1, index); }, {x}));
  Tensor weight = random_leaf({6, 4}, 11);
  const Tensor ids = from_vector<int64_t>({5, 0, 5, 2, 2, 2}, {2, 3});
  EXPECT_TRUE(gradcheck([&](const TensorList& in) { return embedding(in[0], ids); }, {weight}));
}

TEST(ShapeGradcheck, InterpolateAllModes) {
  Tensor x = random_leaf({2, 4, 5, 3}, 12);
  for (const std::string mode : {"bilinear", "bicubic"}) {
    for (const bool corners : {false, true}) {
      SCOPED_TRACE(mode + (corners ? " align_corners" : ""));
      for (const std::array<int64_t, 2> size :
           {std::array<int64_t, 2>{7, 9}, std::array<int64_t, 2>{3, 2},
            std::array<int64_t, 2>{1, 5}}) {
        EXPECT_TRUE(gradcheck(
            [&](const TensorList& in) {
              return interpolate(in[0], {.size = size, .mode = mode, .align_corners = corners});
            },
            {x}));
      }
      EXPECT_TRUE(gradcheck(
          [&](const TensorList& in) {
            return interpolate(
                in[0], {.scale_factor = {{1.5, 0.6}}, .mode = mode, .align_corners = corners});
          },
          {x}));
    }
  }
  for (const std::array<int64_t, 2> size :
       {std::array<int64_t, 2>{8, 10}, std::array<int64_t, 2>{3, 3},
        std::array<int64_t, 2>{7, 4}}) {
    EXPECT_TRUE(gradcheck(
        [&](const TensorList& in) { return interpolate(in[0], {.size = size, .mode = "nearest"}); },
        {x}));
  }
  // A strided (channels-first viewed) input.
  Tensor y = random_leaf({2, 3, 4, 5}, 13);
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        return interpolate(in[0].permute({0, 2, 3, 1}), {.size = {{6, 3}}, .mode = "bicubic"});
      },
      {y}));
}

TEST(ShapeGradcheck, DropoutAndDropPathWithAFixedGenerator) {
  Tensor x = random_leaf({4, 3, 5}, 14);
  // A fresh generator per evaluation keeps the mask fixed between finite differences.
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        Generator generator(21);
        return dropout(in[0], 0.4, true, &generator);
      },
      {x}));
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        Generator generator(22);
        return dropout(in[0].transpose(0, 2), 0.3, true, &generator);
      },
      {x}));
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        Generator generator(23);
        return drop_path(in[0], 0.5, true, true, &generator);
      },
      {x}));
  EXPECT_TRUE(gradcheck(
      [](const TensorList& in) {
        Generator generator(24);
        return drop_path(in[0], 0.25, true, false, &generator);
      },
      {x}));
}

}  // namespace
}  // namespace fovea
