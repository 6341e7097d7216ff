// Transforms: shapes and ranges, pixels computed by hand, and identities.
#include <gtest/gtest.h>

#include "data/clahe.h"
#include "data/color.h"
#include "data/geometry.h"
#include "data/image_ops.h"
#include "data/rand_augment.h"
#include "data/resize.h"
#include "tests/data/data_test_util.h"

namespace fovea::data {
namespace {

Image gray_row(const std::vector<uint8_t>& values) {
  Image image(1, static_cast<int>(values.size()), 1);
  image.pixels = values;
  return image;
}

Image grid(int height, int width, const std::vector<uint8_t>& values) {
  Image image(height, width, 1);
  image.pixels = values;
  return image;
}

// Values checked by hand from the formula in data/resize.h (and equal to PIL 9.4's).
TEST(Resize, BilinearShrinkIsAntialiased) {
  // Scale 2: output 0 is centred at 1.0 and reads pixels 0..2 with triangle weights
  // 0.75, 0.75, 0.25 (/1.75): (0*3 + 100*3 + 200) / 7 = 71.4 -> 71.
  EXPECT_EQ(resize(gray_row({0, 100, 200, 255}), 1, 2).pixels, (std::vector<uint8_t>{71, 209}));
}

TEST(Resize, BilinearEnlargeInterpolates) {
  EXPECT_EQ(resize(gray_row({0, 100}), 1, 4).pixels, (std::vector<uint8_t>{0, 25, 75, 100}));
}

TEST(Resize, AreaAveragesFootprints) {
  EXPECT_EQ(resize(gray_row({10, 20, 30, 40, 50, 60}), 1, 2, Interpolation::area).pixels,
            (std::vector<uint8_t>{20, 50}));
  // Scale 4/3: footprints [0, 1.33), [1.33, 2.67), [2.67, 4).
  EXPECT_EQ(resize(gray_row({0, 40, 80, 120}), 1, 3, Interpolation::area).pixels,
            (std::vector<uint8_t>{10, 60, 110}));
}

TEST(Resize, SameSizeIsIdentityForEveryFilterAndBoxReadsOnlyTheBox) {
  const Image image = testing::colourised(7, 23, 31);
  for (Interpolation f : {Interpolation::nearest, Interpolation::bilinear, Interpolation::bicubic,
                          Interpolation::area}) {
    EXPECT_EQ(resize(image, 23, 31, f), image) << interpolation_name(f);
  }
  const Rect box = {3, 5, 10, 12};
  EXPECT_EQ(resize(image, 10, 12, Interpolation::bicubic, box), crop(image, box));
  const Image down = resize(image, 7, 9, Interpolation::bicubic);
  EXPECT_EQ(down.height, 7);
  EXPECT_EQ(down.width, 9);
  EXPECT_EQ(down.channels, 3);
}

// A region whose edges fall inside pixels, as a crop box does in a JPEG decoded at 1/2:
// with whole-pixel edges it is resize() with the Rect, to the bit; on an image averaged
// 2x2, half the box gives what the box gives on the full image, up to that averaging.
TEST(Resize, RegionWithFractionalEdges) {
  const Image image = testing::colourised(8, 64, 80);
  const Rect box = {5, 7, 41, 50};
  for (Interpolation f : {Interpolation::nearest, Interpolation::bilinear, Interpolation::bicubic,
                          Interpolation::area}) {
    EXPECT_EQ(resize_region(image, 20, 24, f, {5, 7, 41, 50}), resize(image, 20, 24, f, box))
        << interpolation_name(f);
  }
  const Image half = resize(image, 32, 40, Interpolation::area);
  const Image from_half =
      resize_region(half, 20, 24, Interpolation::bilinear, {2.5, 3.5, 20.5, 25});
  const Image from_full = resize(image, 20, 24, Interpolation::bilinear, box);
  double error = 0;
  for (size_t i = 0; i < from_full.pixels.size(); ++i) {
    error += std::abs(from_half.pixels[i] - from_full.pixels[i]);
  }
  EXPECT_LT(error / from_full.pixels.size(), 1.5);
  EXPECT_THROW(resize_region(half, 4, 4, Interpolation::bilinear, {30, 0, 2.5, 4}), Error);
}

TEST(Resize, ShortSideFollowsTorchvision) {
  const Size2 size = scaled_size(375, 500, 256);
  EXPECT_EQ(size.height, 256);
  EXPECT_EQ(size.width, 341);  // int(256 * 500 / 375)
  const Size2 long_side = scaled_size(375, 500, 160, true);
  EXPECT_EQ(long_side.height, 120);
  EXPECT_EQ(long_side.width, 160);
}

TEST(Crop, CenterCropRoundsHalfToEvenAndPads) {
  const Image image = grid(4, 4, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
  EXPECT_EQ(center_crop(image, 3, 3).pixels,
            (std::vector<uint8_t>{0, 1, 2, 4, 5, 6, 8, 9, 10}));  // round(0.5) = 0
  EXPECT_EQ(center_crop(image, 2, 2).pixels, (std::vector<uint8_t>{5, 6, 9, 10}));
  const Image padded = center_crop(grid(2, 2, {1, 2, 3, 4}), 4, 4);
  EXPECT_EQ(padded.pixels, (std::vector<uint8_t>{0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0}));
}

TEST(Crop, RandomResizedCropBoxesFitAndFallBackToTheCentre) {
  const CropRange range;
  for (uint64_t i = 0; i < 200; ++i) {
    Rng rng({.seed = 1, .epoch = 0, .index = i}, 0);
    const Rect box = random_resized_crop_box(375, 500, range, rng);
    ASSERT_GE(box.top, 0);
    ASSERT_GE(box.left, 0);
    ASSERT_LE(box.top + box.height, 375);
    ASSERT_LE(box.left + box.width, 500);
    const double fraction = static_cast<double>(box.height) * box.width / (375.0 * 500.0);
    ASSERT_GE(fraction, 0.07);
    ASSERT_LE(fraction, 1.0);
  }
  Rng a({.seed = 3, .epoch = 1, .index = 5}, 0), b({.seed = 3, .epoch = 1, .index = 5}, 0);
  EXPECT_EQ(random_resized_crop_box(100, 80, range, a), random_resized_crop_box(100, 80, range, b));
  // No area in [2, 3] of the image fits: the central crop, ratio clamped to 3/4.
  Rng rng({}, 0);
  const Rect fallback = random_resized_crop_box(100, 50, {.scale = {2.0, 3.0}}, rng);
  EXPECT_EQ(fallback, (Rect{16, 0, 67, 50}));
}

TEST(Flip, TwiceIsIdentityAndMirrors) {
  const Image image = testing::colourised(9, 5, 7);
  EXPECT_EQ(flip_horizontal(flip_horizontal(image)), image);
  EXPECT_EQ(flip_vertical(flip_vertical(image)), image);
  const Image mirrored = flip_horizontal(image);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(mirrored.at(2, 0, c), image.at(2, 6, c));
  EXPECT_EQ(flip_vertical(image).row(0)[4], image.row(4)[4]);
}

TEST(Rotate, ZeroIsIdentityAndQuarterTurnsAreExact) {
  const Image image = testing::colourised(11, 9, 9);
  for (Interpolation f :
       {Interpolation::nearest, Interpolation::bilinear, Interpolation::bicubic}) {
    EXPECT_EQ(rotate(image, 0.0, f), image);
  }
  const Image quarter = rotate(image, 90.0);
  // Counter-clockwise: the top-right corner moves to the top-left.
  for (int y = 0; y < 9; ++y) {
    for (int x = 0; x < 9; ++x) {
      for (int c = 0; c < 3; ++c) ASSERT_EQ(quarter.at(y, x, c), image.at(x, 8 - y, c));
    }
  }
  EXPECT_EQ(rotate(rotate(quarter, 90.0), 180.0), image);
  EXPECT_EQ(rotate(image, 180.0), flip_vertical(flip_horizontal(image)));
  // Corners of a 45-degree turn come from outside the image: the fill.
  const Image turned = rotate(image, 45.0, Interpolation::bilinear, {1, 2, 3});
  EXPECT_EQ(turned.at(0, 0, 2), 3);
}

TEST(Color, FactorsOfOneAreIdentityAndTheDefinitionsHold) {
  const Image image = testing::colourised(12, 8, 8);
  EXPECT_EQ(adjust_brightness(image, 1.0), image);
  EXPECT_EQ(adjust_contrast(image, 1.0), image);
  EXPECT_EQ(adjust_saturation(image, 1.0), image);
  EXPECT_EQ(adjust_hue(image, 0.0), image);
  EXPECT_EQ(adjust_brightness(image, 0.0).pixels, std::vector<uint8_t>(image.pixels.size(), 0));
  EXPECT_EQ(adjust_saturation(image, 0.0), to_grayscale(image, 3));
  const Image flat = adjust_contrast(image, 0.0);
  EXPECT_EQ(*std::min_element(flat.pixels.begin(), flat.pixels.end()),
            *std::max_element(flat.pixels.begin(), flat.pixels.end()));
  Image red(1, 1, 3);
  red.pixels = {255, 0, 0};
  EXPECT_EQ(adjust_hue(red, 0.5).pixels, (std::vector<uint8_t>{0, 255, 255}));
  EXPECT_EQ(adjust_hue(red, 1.0 / 3.0).pixels, (std::vector<uint8_t>{0, 255, 0}));
  EXPECT_EQ(luma(255, 0, 0), 76);  // PIL: 255 * 299 / 1000 = 76.2
  EXPECT_EQ(to_grayscale(red, 1).pixels, std::vector<uint8_t>{76});
  EXPECT_EQ(to_rgb(to_grayscale(red, 1)).pixels, (std::vector<uint8_t>{76, 76, 76}));
  EXPECT_EQ(adjust_brightness(red, 0.5).pixels, (std::vector<uint8_t>{128, 0, 0}));
}

TEST(Color, JitterIsSeededAndKeepsShape) {
  const Image image = testing::colourised(13, 16, 16);
  const ColorJitter jitter{.brightness = 0.4, .contrast = 0.4, .saturation = 0.4, .hue = 0.1};
  Rng a({.seed = 1, .index = 2}, 3), b({.seed = 1, .index = 2}, 3), c({.seed = 1, .index = 3}, 3);
  const Image once = jitter(image, a);
  EXPECT_EQ(jitter(image, b), once);
  EXPECT_NE(jitter(image, c), once);
  EXPECT_EQ(once.pixels.size(), image.pixels.size());
}

// The tables of data/clahe.h worked through by hand.
TEST(Clahe, SingleTileWithAndWithoutClipping) {
  const Image image = grid(4, 4, {10, 10, 10, 10, 10, 10, 10, 10, 20, 20, 20, 20, 20, 20, 20, 20});
  // No clip: cumulative 8/16 and 16/16 of 255 -> 127.5 -> 128 and 255.
  const Image plain = clahe(image, 0.0, 1, 1);
  EXPECT_EQ(plain.at(0, 0, 0), 128);
  EXPECT_EQ(plain.at(3, 3, 0), 255);
  // clip = max(int(2 * 16 / 256), 1) = 1: 14 counts are clipped and, 14 < 256, handed
  // one each to bins 0, 18, 36, ..., 234. Cumulative at 10: bins 0 and 10 = 2 -> 31.9 -> 32;
  // at 20: bins 0, 10, 18, 20 = 4 -> 63.75 -> 64.
  const Image clipped = clahe(image, 2.0, 1, 1);
  EXPECT_EQ(clipped.at(0, 0, 0), 32);
  EXPECT_EQ(clipped.at(3, 3, 0), 64);
}

TEST(Clahe, BlendsNeighbouringTileMappings) {
  // 2x2 tiles of 2x2 pixels. Left tiles hold {10, 20}, right tiles {20, 30}, two of each:
  // left maps 10 -> 128, 20 -> 255; right maps 20 -> 128, 30 -> 255. Column 2 lies
  // halfway between the tile centres: 20 -> (255 + 128) / 2 = 191.5 -> 192.
  const std::vector<uint8_t> row = {10, 20, 20, 30};
  std::vector<uint8_t> values;
  for (int y = 0; y < 4; ++y) values.insert(values.end(), row.begin(), row.end());
  const Image out = clahe(grid(4, 4, values), 0.0, 2, 2);
  for (int y = 0; y < 4; ++y) {
    EXPECT_EQ(std::vector<uint8_t>(out.row(y), out.row(y) + 4),
              (std::vector<uint8_t>{128, 255, 192, 255}));
  }
}

TEST(Clahe, ColourAndOddSizesKeepShape) {
  const Image image = testing::colourised(14, 37, 29);
  const Image out = clahe(image, 2.0, 8, 8);
  EXPECT_EQ(out.height, 37);
  EXPECT_EQ(out.width, 29);
  EXPECT_EQ(out.channels, 3);
  EXPECT_NE(out, image);
  EXPECT_THROW(clahe(image, 2.0, 40, 8), Error);
}

TEST(ImageOps, PointOperations) {
  const Image image = gray_row({50, 60, 100, 200});
  EXPECT_EQ(auto_contrast(gray_row({50, 75, 100})).pixels, (std::vector<uint8_t>{0, 127, 255}));
  EXPECT_EQ(invert(invert(image)), image);
  EXPECT_EQ(solarize(image, 100).pixels, (std::vector<uint8_t>{50, 60, 155, 55}));
  EXPECT_EQ(solarize_add(image, 100).pixels, (std::vector<uint8_t>{150, 160, 200, 200}));
  EXPECT_EQ(posterize(image, 2).pixels, (std::vector<uint8_t>{0, 0, 64, 192}));
  EXPECT_EQ(posterize(image, 0).pixels, (std::vector<uint8_t>{0, 0, 0, 0}));
  EXPECT_EQ(equalize(gray_row({0, 0, 255, 255})), gray_row({0, 0, 255, 255}));
  EXPECT_EQ(adjust_sharpness(image, 1.0), image);
}

TEST(RandAugment, ParsesTimmStrings) {
  const RandAugmentConfig config = parse_rand_augment("rand-m9-mstd0.5");
  EXPECT_EQ(config.magnitude, 9);
  EXPECT_EQ(config.num_ops, 2);
  EXPECT_EQ(config.magnitude_std, 0.5);
  EXPECT_EQ(config.probability, 0.5);
  const RandAugmentConfig other = parse_rand_augment("rand-m7-n3-mstd101-inc1-p0.8");
  EXPECT_EQ(other.num_ops, 3);
  EXPECT_TRUE(std::isinf(other.magnitude_std));
  EXPECT_TRUE(other.increasing);
  EXPECT_EQ(other.probability, 0.8);
  EXPECT_THROW(parse_rand_augment("auto-m9"), Error);
  EXPECT_THROW(parse_rand_augment("rand-q9"), Error);
}

TEST(RandAugment, EveryOpKeepsShapeAndIsSeeded) {
  const RandAugment augment(parse_rand_augment("rand-m9-mstd0.5"));
  const Image image = testing::colourised(15, 24, 32);
  for (int op = 0; op <= static_cast<int>(RandAugmentOp::translate_y); ++op) {
    Rng a({.seed = 2}, 0), b({.seed = 2}, 0);
    const Image out = augment.apply(static_cast<RandAugmentOp>(op), image, 9.0, a);
    EXPECT_EQ(out.height, 24) << op_name(static_cast<RandAugmentOp>(op));
    EXPECT_EQ(out.width, 32);
    EXPECT_EQ(out.channels, 3);
    EXPECT_EQ(augment.apply(static_cast<RandAugmentOp>(op), image, 9.0, b), out);
  }
  Rng rng({.seed = 1}, 0);
  EXPECT_EQ(augment.apply(RandAugmentOp::solarize, image, 0.0, rng), invert(image));
  EXPECT_EQ(augment.apply(RandAugmentOp::brightness, image, 0.0, rng),
            adjust_brightness(image, 0.1));  // enhance factor 0.1 + 1.8 * m / 10
  int changed = 0;
  for (uint64_t i = 0; i < 20; ++i) {
    Rng sample({.seed = 4, .index = i}, 0);
    changed += augment(image, sample) != image;
  }
  EXPECT_GT(changed, 5);  // each of 2 ops applies with p = 0.5
}

}  // namespace
}  // namespace fovea::data
