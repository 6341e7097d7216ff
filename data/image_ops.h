#pragma once
// The point and filter operations of PIL's ImageOps and ImageEnhance that RandAugment
// draws from, on u8 images with 1 or 3 channels (each channel on its own, as PIL does).
#include <cstdint>

#include "data/image.h"

namespace fovea::data {

// Stretches each channel so that its darkest value becomes 0 and its brightest 255
// (ImageOps.autocontrast with cutoff 0).
Image auto_contrast(const Image& image);
// Histogram equalisation per channel, with PIL's lookup table (ImageOps.equalize).
Image equalize(const Image& image);
Image invert(const Image& image);
// Keeps the `bits` most significant bits of every value (0 bits: black).
Image posterize(const Image& image, int bits);
// Inverts every value >= threshold.
Image solarize(const Image& image, int threshold);
// Adds `add` (clamped at 255) to every value below `threshold`.
Image solarize_add(const Image& image, int add, int threshold = 128);
// Blends with PIL's SMOOTH-filtered image (3x3 kernel [1 1 1; 1 5 1; 1 1 1] / 13, border
// pixels unfiltered): factor 0 is smooth, 1 the original, above 1 sharper.
Image adjust_sharpness(const Image& image, double factor);

}  // namespace fovea::data
