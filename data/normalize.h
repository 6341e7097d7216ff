#pragma once
// The last per-sample steps, from u8 pixels to the floats a model sees: normalisation,
// (x / 255 - mean[c]) / std[c], written in HWC order, and timm's RandomErasing on those
// floats.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "data/image.h"
#include "data/random.h"
#include "kernels/dtype.h"

namespace fovea::data {

struct Normalization {
  std::vector<float> mean;  // per channel, in [0, 1] units
  std::vector<float> std;
};

// ImageNet's statistics (torchvision and timm's IMAGENET_DEFAULT_MEAN/STD).
Normalization imagenet_normalization();

// Writes the normalised image into out[0 .. H*W*C). The mean/std have one value per
// channel, or a single value used for every channel.
void normalize_into(const Image& image, const Normalization& normalization, float* out);

// Converts `count` floats to `dtype` (f32: a copy; bf16/f16: round to nearest even).
void store_as(const float* values, size_t count, DType dtype, void* out);

// timm's RandomErasing (Zhong et al., 2017) on one normalised HWC sample: with
// `probability`, up to 10 tries of a box with area fraction uniform in [min_area,
// max_area] and log-uniform aspect in [min_aspect, 1 / min_aspect]; the first box that
// fits is filled, per `mode`, with N(0, 1) noise per value (pixel), per channel (channel)
// or zeros (constant).
struct RandomErasing {
  enum class Mode { pixel, channel, constant };
  double probability = 0.25;
  double min_area = 0.02;
  double max_area = 1.0 / 3.0;
  double min_aspect = 0.3;
  Mode mode = Mode::pixel;
  void operator()(float* hwc, int height, int width, int channels, Rng& rng) const;
};

}  // namespace fovea::data
