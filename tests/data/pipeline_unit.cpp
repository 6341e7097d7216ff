// Normalisation, random erasing, batch mixing and the composed Pipeline.
#include <gtest/gtest.h>

#include <numeric>

#include "data/mixup.h"
#include "data/normalize.h"
#include "data/pipeline.h"
#include "tests/data/data_test_util.h"

namespace fovea::data {
namespace {

TEST(Normalize, MapsBytesThroughMeanAndStd) {
  Image image(1, 2, 3);
  image.pixels = {0, 255, 51, 255, 0, 102};
  std::vector<float> out(6);
  normalize_into(image, {{0.5f, 0.5f, 0.2f}, {0.5f, 0.25f, 0.1f}}, out.data());
  EXPECT_FLOAT_EQ(out[0], -1.0f);
  EXPECT_FLOAT_EQ(out[1], 2.0f);
  EXPECT_NEAR(out[2], 0.0f, 1e-6);
  EXPECT_FLOAT_EQ(out[3], 1.0f);
  EXPECT_NEAR(out[5], 2.0f, 1e-6);
  EXPECT_THROW(normalize_into(image, {{0.5f, 0.5f}, {1.0f}}, out.data()), Error);
  uint16_t bf16_bits[2];
  store_as(out.data(), 2, DType::bf16, bf16_bits);
  EXPECT_EQ(bf16_bits_to_float(bf16_bits[0]), -1.0f);
  EXPECT_EQ(bf16_bits_to_float(bf16_bits[1]), 2.0f);
}

TEST(RandomErasing, ErasesOneBoxWhenDrawn) {
  std::vector<float> sample(32 * 32 * 3, 5.0f);
  RandomErasing never{.probability = 0.0};
  Rng rng({.seed = 1}, 0);
  never(sample.data(), 32, 32, 3, rng);
  EXPECT_EQ(std::count(sample.begin(), sample.end(), 5.0f), 32 * 32 * 3);
  RandomErasing always{.probability = 1.0, .mode = RandomErasing::Mode::constant};
  always(sample.data(), 32, 32, 3, rng);
  const auto erased = std::count(sample.begin(), sample.end(), 0.0f);
  EXPECT_GE(erased, static_cast<long>(0.02 * 32 * 32 * 3 * 0.5));
  EXPECT_LE(erased, 32 * 32 * 3 / 2);
}

TEST(Mixup, MixesPairsAndSoftensTargets) {
  // Four 1x1x1 images 0, 1, 2, 3 with labels 0, 1, 2, 0.
  std::vector<float> images = {0, 1, 2, 3};
  const int64_t labels[] = {0, 1, 2, 0};
  MixDecision mix;
  mix.lam = 0.75;
  apply_mix(mix, images.data(), 4, 1, 1, 1);
  EXPECT_EQ(images, (std::vector<float>{0.75f, 1.25f, 1.75f, 2.25f}));
  std::vector<float> targets(4 * 3);
  mixed_targets(mix, labels, 4, 3, 0.0, targets.data());
  EXPECT_EQ(std::vector<float>(targets.begin(), targets.begin() + 3),
            (std::vector<float>{1.0f, 0.0f, 0.0f}));  // 0 mixed with a 0
  EXPECT_EQ(std::vector<float>(targets.begin() + 3, targets.begin() + 6),
            (std::vector<float>{0.0f, 0.75f, 0.25f}));
  mixed_targets(MixDecision{}, labels, 4, 3, 0.3, targets.data());
  EXPECT_FLOAT_EQ(targets[0], 0.8f);  // 1 - 0.3 + 0.3 / 3
  EXPECT_FLOAT_EQ(targets[1], 0.1f);
}

TEST(Mixup, CutmixSwapsABoxAndCorrectsLam) {
  const MixupOptions options{.mixup_alpha = 0.0, .cutmix_alpha = 1.0};
  Rng rng({.seed = 9}, 0);
  const MixDecision mix = draw_mix(options, 8, 8, rng);
  ASSERT_TRUE(mix.cutmix);
  const int area = (mix.bottom - mix.top) * (mix.right - mix.left);
  EXPECT_DOUBLE_EQ(mix.lam, 1.0 - area / 64.0);
  std::vector<float> images(2 * 64);
  std::fill(images.begin() + 64, images.end(), 1.0f);
  apply_mix(mix, images.data(), 2, 8, 8, 1);
  EXPECT_EQ(std::accumulate(images.begin(), images.begin() + 64, 0.0f), static_cast<float>(area));
  double lam_sum = 0;
  for (uint64_t i = 0; i < 400; ++i) {
    Rng draw({.seed = 9, .index = i}, 0);
    lam_sum += draw_mix({.mixup_alpha = 0.8, .cutmix_alpha = 0.0}, 8, 8, draw).lam;
  }
  EXPECT_NEAR(lam_sum / 400, 0.5, 0.05);  // Beta(0.8, 0.8) has mean 1/2
}

TEST(Pipeline, TrainAndEvalProduceTheConfiguredShape) {
  const Image photo = testing::colourised(20, 375, 500);
  PipelineSpec spec;
  spec.rotate_degrees = 25;
  spec.jitter = {.brightness = 0.4, .contrast = 0.4, .saturation = 0.4, .hue = 0.1};
  spec.rand_augment = "rand-m9-mstd0.5";
  spec.clahe_clip = 2.0;
  spec.random_erasing = 0.25;
  const Pipeline train(spec);
  EXPECT_EQ(
      train.step_names(),
      (std::vector<std::string>{"clahe", "to_rgb", "random_resized_crop", "hflip", "rotate",
                                "color_jitter", "rand_augment", "normalize", "random_erasing"}));
  std::vector<float> out(static_cast<size_t>(train.sample_numel()));
  train.run(photo, {.seed = 1, .epoch = 0, .index = 3}, out.data());
  const auto [low, high] = std::minmax_element(out.begin(), out.end());
  EXPECT_GE(*low, -2.2f);  // (0 - 0.485) / 0.229, or erasing noise
  EXPECT_LE(*high, 2.7f);  // (1 - 0.406) / 0.225
  std::vector<float> again(out.size()), next_epoch(out.size());
  train.run(photo, {.seed = 1, .epoch = 0, .index = 3}, again.data());
  train.run(photo, {.seed = 1, .epoch = 1, .index = 3}, next_epoch.data());
  EXPECT_EQ(again, out);
  EXPECT_NE(next_epoch, out);

  spec.train = false;
  spec.clahe_clip = 0.0;
  const Pipeline eval(spec);
  EXPECT_EQ(eval.step_names(),
            (std::vector<std::string>{"to_rgb", "resize", "center_crop", "normalize"}));
  // 375x500 -> short side int(224 / 0.875) = 256 -> 256x341 -> centre 224x224.
  const Image resized = resize_short_side(photo, 256);
  EXPECT_EQ(eval.transform(photo, {}), center_crop(resized, 224, 224));
}

TEST(Pipeline, ConvertsChannelsBothWays) {
  PipelineSpec spec;
  spec.image_size = 28;
  spec.train = false;
  spec.crop_fraction = 1.0;
  spec.channels = 1;
  spec.normalization = {{kFashionMnistMean}, {kFashionMnistStd}};
  const Image gray = testing::fashion_test().load(0);
  EXPECT_EQ(Pipeline(spec).transform(gray, {}), gray);
  EXPECT_EQ(Pipeline(spec).transform(to_rgb(gray), {}), gray);
  spec.channels = 3;
  EXPECT_EQ(Pipeline(spec).transform(gray, {}), to_rgb(gray));
  spec.channels = 1;
  spec.normalization = imagenet_normalization();
  EXPECT_THROW(Pipeline{spec}, Error);  // 3 means for 1 channel
  spec.image_size = 0;
  EXPECT_THROW(Pipeline{spec}, Error);
}

}  // namespace
}  // namespace fovea::data
