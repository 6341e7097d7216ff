#pragma once
// RandAugment (Cubuk et al., 2020) the way timm implements it (timm/data/auto_augment.py),
// configured by timm's strings such as "rand-m9-mstd0.5":
//   m<int>    magnitude on timm's 0..10 scale (default 10)
//   n<int>    ops applied per image (default 2), each drawn uniformly with replacement
//   p<float>  probability that a drawn op is applied (default 0.5)
//   mstd<f>   each applied op draws its magnitude from N(m, mstd), clipped to [0, mmax];
//             mstd > 100 draws it uniformly from [0, m]
//   mmax<int> upper clip of the magnitude (default 10)
//   inc<0|1>  the "increasing" op set, whose strength grows with the magnitude
// The ops are timm's _RAND_TRANSFORMS: AutoContrast, Equalize, Invert, Rotate, Posterize,
// Solarize, SolarizeAdd, Color, Contrast, Brightness, Sharpness, ShearX, ShearY,
// TranslateXRel, TranslateYRel. Geometric ops fill with the dataset mean colour and pick
// bilinear or bicubic sampling at random, as timm's transforms_factory sets them up.
#include <string>
#include <vector>

#include "data/geometry.h"
#include "data/image.h"
#include "data/random.h"

namespace fovea::data {

struct RandAugmentConfig {
  double magnitude = 10.0;
  int num_ops = 2;
  double probability = 0.5;
  double magnitude_std = 0.0;  // infinity: uniform in [0, magnitude]
  double magnitude_max = 10.0;
  bool increasing = false;
};

// Parses a timm RandAugment string; anything it does not understand is a fovea::Error.
RandAugmentConfig parse_rand_augment(const std::string& config);

enum class RandAugmentOp {
  auto_contrast,
  equalize,
  invert,
  rotate,
  posterize,
  solarize,
  solarize_add,
  color,
  contrast,
  brightness,
  sharpness,
  shear_x,
  shear_y,
  translate_x,
  translate_y
};
const char* op_name(RandAugmentOp op);

class RandAugment {
 public:
  // `fill` is the colour uncovered by geometric ops (timm: the mean, 124 116 104 for
  // ImageNet); `translate_fraction` is the largest shift as a fraction of the image size.
  explicit RandAugment(RandAugmentConfig config, Fill fill = {124, 116, 104},
                       double translate_fraction = 0.45);

  Image operator()(Image image, Rng& rng) const;
  // One op at a given magnitude (0..10), for tests; `rng` draws its sign and sampling.
  Image apply(RandAugmentOp op, Image image, double magnitude, Rng& rng) const;
  const RandAugmentConfig& config() const { return config_; }

 private:
  RandAugmentConfig config_;
  Fill fill_;
  double translate_fraction_;
};

}  // namespace fovea::data
