#include "data/rand_augment.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <regex>
#include <sstream>

#include "data/color.h"
#include "data/image_ops.h"
#include "kernels/error.h"

namespace fovea::data {

namespace {

constexpr double kLevelDenominator = 10.0;  // timm's _LEVEL_DENOM
constexpr RandAugmentOp kOps[] = {
    RandAugmentOp::auto_contrast, RandAugmentOp::equalize,    RandAugmentOp::invert,
    RandAugmentOp::rotate,        RandAugmentOp::posterize,   RandAugmentOp::solarize,
    RandAugmentOp::solarize_add,  RandAugmentOp::color,       RandAugmentOp::contrast,
    RandAugmentOp::brightness,    RandAugmentOp::sharpness,   RandAugmentOp::shear_x,
    RandAugmentOp::shear_y,       RandAugmentOp::translate_x, RandAugmentOp::translate_y};

double randomly_negate(double v, Rng& rng) {
  return rng.uniform() > 0.5 ? -v : v;
}

// An affine op with timm's sampling: bilinear or bicubic at random.
Image affine(const Image& image, const Affine& m, const Fill& fill, Rng& rng) {
  const Interpolation sampling =
      rng.bernoulli(0.5) ? Interpolation::bilinear : Interpolation::bicubic;
  return warp_affine(image, m, sampling, fill);
}

}  // namespace

const char* op_name(RandAugmentOp op) {
  static const char* names[] = {"AutoContrast", "Equalize",      "Invert",       "Rotate",
                                "Posterize",    "Solarize",      "SolarizeAdd",  "Color",
                                "Contrast",     "Brightness",    "Sharpness",    "ShearX",
                                "ShearY",       "TranslateXRel", "TranslateYRel"};
  return names[static_cast<int>(op)];
}

RandAugmentConfig parse_rand_augment(const std::string& text) {
  std::stringstream stream(text);
  std::string section;
  std::getline(stream, section, '-');
  FOVEA_CHECK(section == "rand",
              "RandAugment config '{}' must start with 'rand' (for example 'rand-m9-mstd0.5')",
              text);
  RandAugmentConfig config;
  const std::regex key_value(R"(([a-z]+)(\d.*))");
  while (std::getline(stream, section, '-')) {
    std::smatch match;
    FOVEA_CHECK(std::regex_match(section, match, key_value),
                "RandAugment config '{}': cannot read section '{}' (expected m<int>, n<int>, "
                "p<float>, mstd<float>, mmax<int> or inc<0|1>)",
                text, section);
    const std::string key = match[1];
    double value = 0.0;
    try {
      value = std::stod(match[2]);
    } catch (const std::exception&) {
      fail("RandAugment config '{}': '{}' is not a number", text, match[2].str());
    }
    if (key == "m") {
      config.magnitude = value;
    } else if (key == "n") {
      config.num_ops = static_cast<int>(value);
    } else if (key == "p") {
      config.probability = value;
    } else if (key == "mstd") {
      config.magnitude_std = value > 100.0 ? std::numeric_limits<double>::infinity() : value;
    } else if (key == "mmax") {
      config.magnitude_max = value;
    } else if (key == "inc") {
      config.increasing = value != 0.0;
    } else {
      fail("RandAugment config '{}': unknown section '{}' (expected m, n, p, mstd, mmax, inc)",
           text, section);
    }
  }
  FOVEA_CHECK(config.num_ops >= 0 && config.probability >= 0.0 && config.probability <= 1.0,
              "RandAugment config '{}': n must be >= 0 and p in [0, 1]", text);
  return config;
}

RandAugment::RandAugment(RandAugmentConfig config, Fill fill, double translate_fraction)
    : config_(config), fill_(fill), translate_fraction_(translate_fraction) {}

Image RandAugment::apply(RandAugmentOp op, Image image, double magnitude, Rng& rng) const {
  const double level = magnitude / kLevelDenominator;
  // timm's _enhance_level_to_arg, or the increasing variant 1 +- 0.9 level.
  const auto enhance_factor = [&] {
    return config_.increasing ? 1.0 + randomly_negate(level * 0.9, rng) : level * 1.8 + 0.1;
  };
  switch (op) {
    case RandAugmentOp::auto_contrast:
      return auto_contrast(image);
    case RandAugmentOp::equalize:
      return equalize(image);
    case RandAugmentOp::invert:
      return invert(image);
    case RandAugmentOp::rotate: {
      const double degrees = randomly_negate(level * 30.0, rng);
      const Interpolation sampling =
          rng.bernoulli(0.5) ? Interpolation::bilinear : Interpolation::bicubic;
      return rotate(image, degrees, sampling, fill_);
    }
    case RandAugmentOp::posterize: {
      const int bits = static_cast<int>(level * 4.0);
      return posterize(image, config_.increasing ? 4 - bits : bits);
    }
    case RandAugmentOp::solarize: {
      const int threshold = std::min(256, static_cast<int>(level * 256.0));
      return solarize(image, config_.increasing ? 256 - threshold : threshold);
    }
    case RandAugmentOp::solarize_add:
      return solarize_add(image, std::min(128, static_cast<int>(level * 110.0)));
    case RandAugmentOp::color:
      return adjust_saturation(image, enhance_factor());
    case RandAugmentOp::contrast:
      return adjust_contrast(image, enhance_factor());
    case RandAugmentOp::brightness:
      return adjust_brightness(image, enhance_factor());
    case RandAugmentOp::sharpness:
      return adjust_sharpness(image, enhance_factor());
    case RandAugmentOp::shear_x:
    case RandAugmentOp::shear_y: {
      // PIL's AFFINE (1, s, 0, 0, 1, 0) maps pixel centres at +0.5; in index coordinates
      // that adds s / 2 to the offset.
      const double s = randomly_negate(level * 0.3, rng);
      Affine m;
      if (op == RandAugmentOp::shear_x) {
        m.b = s;
        m.c = 0.5 * s;
      } else {
        m.d = s;
        m.f = 0.5 * s;
      }
      return affine(image, m, fill_, rng);
    }
    case RandAugmentOp::translate_x:
    case RandAugmentOp::translate_y: {
      const double fraction = randomly_negate(level * translate_fraction_, rng);
      Affine m;
      if (op == RandAugmentOp::translate_x) {
        m.c = fraction * image.width;
      } else {
        m.f = fraction * image.height;
      }
      return affine(image, m, fill_, rng);
    }
  }
  return image;
}

Image RandAugment::operator()(Image image, Rng& rng) const {
  constexpr int kOpCount = static_cast<int>(std::size(kOps));
  for (int layer = 0; layer < config_.num_ops; ++layer) {
    const RandAugmentOp op = kOps[rng.integer(0, kOpCount)];
    if (config_.probability < 1.0 && rng.uniform() > config_.probability) continue;
    double magnitude = config_.magnitude;
    if (std::isinf(config_.magnitude_std)) {
      magnitude = rng.uniform(0.0, magnitude);
    } else if (config_.magnitude_std > 0.0) {
      magnitude += config_.magnitude_std * rng.normal();
    }
    magnitude = std::clamp(magnitude, 0.0, config_.magnitude_max);
    image = apply(op, std::move(image), magnitude, rng);
  }
  return image;
}

}  // namespace fovea::data
