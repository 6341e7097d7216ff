#include "data/pipeline.h"

#include <memory>

#include "data/clahe.h"
#include "data/rand_augment.h"
#include "kernels/error.h"

namespace fovea::data {

namespace {

// The dataset mean as a fill colour, as timm hands RandAugment its img_mean.
Fill mean_fill(const Normalization& normalization) {
  Fill fill{};
  for (int c = 0; c < 3; ++c) {
    const float mean =
        normalization.mean.size() == 1
            ? normalization.mean[0]
            : normalization.mean.at(std::min<size_t>(c, normalization.mean.size() - 1));
    fill[c] = static_cast<uint8_t>(std::clamp(std::nearbyint(255.0f * mean), 0.0f, 255.0f));
  }
  return fill;
}

// The resampling step's work: `need.region` of the full image, read from the decoded
// pixels at their scale, resampled to need.output.
Image resample(ScaledImage input, const DecodeNeed& need, Interpolation interpolation) {
  const Rect& box = need.region;
  const Size2 full = input.full_size;
  if (input.scale == 1.0 && box == Rect{0, 0, full.height, full.width} && need.output == full) {
    return std::move(input.image);  // already the size asked for
  }
  const double s = input.scale;
  return resize_region(input.image, need.output.height, need.output.width, interpolation,
                       {box.top * s, box.left * s, box.height * s, box.width * s});
}

}  // namespace

Pipeline::Pipeline(PipelineSpec spec) : spec_(std::move(spec)) {
  const int size = spec_.image_size;
  FOVEA_CHECK(size > 0, "Pipeline: image_size must be positive, got {}", size);
  FOVEA_CHECK(spec_.channels == 1 || spec_.channels == 3,
              "Pipeline: channels must be 1 or 3, got {}", spec_.channels);
  FOVEA_CHECK(spec_.crop_fraction > 0.0 && spec_.crop_fraction <= 1.0,
              "Pipeline: crop_fraction must be in (0, 1], got {}", spec_.crop_fraction);
  for (const auto* values : {&spec_.normalization.mean, &spec_.normalization.std}) {
    FOVEA_CHECK(values->size() == 1 || static_cast<int>(values->size()) == spec_.channels,
                "Pipeline: normalization has {} mean/std values for {} output channel(s); give 1 "
                "or {} (ImageNet's defaults are for 3 channels)",
                values->size(), spec_.channels, spec_.channels);
  }
  const bool augment = spec_.train && spec_.augment;

  if (spec_.clahe_clip > 0.0) {
    steps_.push_back(
        {"clahe", [clip = spec_.clahe_clip, grid = spec_.clahe_grid](Image image, Rng&) {
           return clahe(image, clip, std::min(grid, image.height), std::min(grid, image.width));
         }});
  }
  steps_.push_back({.name = spec_.channels == 3 ? "to_rgb" : "to_grayscale",
                    .apply =
                        [channels = spec_.channels](Image image, Rng&) {
                          if (image.channels == channels) return image;
                          return channels == 3 ? to_rgb(image) : to_grayscale(image, 1);
                        },
                    .per_pixel = true});
  if (augment && spec_.random_resized_crop) {
    steps_.push_back(
        {.name = "random_resized_crop", .need = [size, crop = spec_.crop](Size2 full, Rng& rng) {
           return DecodeNeed{random_resized_crop_box(full.height, full.width, crop, rng),
                             {size, size}};
         }});
  } else {
    const int resize_to = static_cast<int>(std::floor(size / spec_.crop_fraction));
    steps_.push_back({.name = "resize", .need = [resize_to](Size2 full, Rng&) {
                        return DecodeNeed{{0, 0, full.height, full.width},
                                          scaled_size(full.height, full.width, resize_to)};
                      }});
    steps_.push_back(
        {"center_crop", [=](Image image, Rng&) { return center_crop(image, size, size); }});
  }
  if (augment && spec_.hflip > 0.0) {
    steps_.push_back({"hflip", [p = spec_.hflip](Image image, Rng& rng) {
                        return rng.bernoulli(p) ? flip_horizontal(image) : image;
                      }});
  }
  if (augment && spec_.vflip > 0.0) {
    steps_.push_back({"vflip", [p = spec_.vflip](Image image, Rng& rng) {
                        return rng.bernoulli(p) ? flip_vertical(image) : image;
                      }});
  }
  if (augment && spec_.rotate_degrees > 0.0) {
    steps_.push_back({"rotate", [d = spec_.rotate_degrees](Image image, Rng& rng) {
                        return rotate(image, rng.uniform(-d, d), Interpolation::bilinear);
                      }});
  }
  const ColorJitter& jitter = spec_.jitter;
  if (augment &&
      (jitter.brightness > 0 || jitter.contrast > 0 || jitter.saturation > 0 || jitter.hue > 0)) {
    steps_.push_back({"color_jitter",
                      [jitter](Image image, Rng& rng) { return jitter(std::move(image), rng); }});
  }
  if (augment && !spec_.rand_augment.empty()) {
    auto rand_augment = std::make_shared<RandAugment>(parse_rand_augment(spec_.rand_augment),
                                                      mean_fill(spec_.normalization));
    steps_.push_back({"rand_augment", [rand_augment](Image image, Rng& rng) {
                        return (*rand_augment)(std::move(image), rng);
                      }});
  }
  erasing_stream_ = static_cast<uint32_t>(steps_.size());
}

Image Pipeline::transform(Image image, const SampleKey& key) const {
  return transform(ScaledImage::unscaled(std::move(image)), key);
}

Image Pipeline::transform(ScaledImage input, const SampleKey& key) const {
  for (size_t position = 0; position < steps_.size(); ++position) {
    Rng rng(key, static_cast<uint32_t>(position));
    const Step& step = steps_[position];
    if (step.need) {
      const DecodeNeed need = step.need(input.full_size, rng);
      input = ScaledImage::unscaled(resample(std::move(input), need, spec_.interpolation));
    } else {
      input.image = step.apply(std::move(input.image), rng);
    }
  }
  return std::move(input.image);
}

DecodeNeed Pipeline::decode_need(Size2 full_size, const SampleKey& key) const {
  for (size_t position = 0; position < steps_.size(); ++position) {
    const Step& step = steps_[position];
    if (step.need) {
      Rng rng(key, static_cast<uint32_t>(position));
      return step.need(full_size, rng);
    }
    if (!step.per_pixel) break;
  }
  return {{0, 0, full_size.height, full_size.width}, full_size};
}

DecodeNeedFn Pipeline::decode_need_for(const SampleKey& key) const {
  return [this, key](Size2 full_size) { return decode_need(full_size, key); };
}

void Pipeline::run(Image image, const SampleKey& key, float* out) const {
  run(ScaledImage::unscaled(std::move(image)), key, out);
}

void Pipeline::run(ScaledImage image, const SampleKey& key, float* out) const {
  const Image result = transform(std::move(image), key);
  FOVEA_CHECK(result.height == spec_.image_size && result.width == spec_.image_size &&
                  result.channels == spec_.channels,
              "Pipeline: produced a {}x{}x{} image, expected {}x{}x{}", result.height, result.width,
              result.channels, spec_.image_size, spec_.image_size, spec_.channels);
  normalize_into(result, spec_.normalization, out);
  if (spec_.train && spec_.augment && spec_.random_erasing > 0.0) {
    Rng rng(key, erasing_stream_);
    RandomErasing erasing;
    erasing.probability = spec_.random_erasing;
    erasing(out, result.height, result.width, result.channels, rng);
  }
}

int64_t Pipeline::sample_numel() const {
  return static_cast<int64_t>(spec_.image_size) * spec_.image_size * spec_.channels;
}

std::vector<std::string> Pipeline::step_names() const {
  std::vector<std::string> names;
  for (const Step& step : steps_) names.push_back(step.name);
  names.push_back("normalize");
  if (spec_.train && spec_.augment && spec_.random_erasing > 0.0) names.push_back("random_erasing");
  return names;
}

}  // namespace fovea::data
