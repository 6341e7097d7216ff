#pragma once
// Colour transforms on u8 images, with torchvision's definitions (which are PIL's
// ImageEnhance on PIL images): each blends the image with a "degenerate" version of it,
// out = degenerate + factor * (image - degenerate), rounded and clamped to [0, 255]:
//   brightness: degenerate = black;
//   contrast:   degenerate = the mean of the grayscale image, everywhere;
//   saturation: degenerate = the grayscale image.
// Hue rotates the hue in HSV space by a fraction of the full circle.
// Grayscale follows PIL's "L" conversion: L = (19595 R + 38470 G + 7471 B + 2^15) >> 16,
// i.e. ITU-R 601-2 luma 0.299 R + 0.587 G + 0.114 B.
#include "data/image.h"
#include "data/random.h"

namespace fovea::data {

uint8_t luma(uint8_t r, uint8_t g, uint8_t b);

// 1-channel luma, or that luma replicated into 3 channels when `channels` is 3.
Image to_grayscale(const Image& image, int channels = 1);
// 3 channels: a grayscale image is replicated; an RGB image is returned as it is.
Image to_rgb(const Image& image);

// degenerate + factor * (image - degenerate), per byte, rounded and clamped.
Image blend(const Image& degenerate, const Image& image, double factor);

Image adjust_brightness(const Image& image, double factor);
Image adjust_contrast(const Image& image, double factor);
Image adjust_saturation(const Image& image, double factor);  // 1-channel: unchanged
// `shift` in [-0.5, 0.5] of the hue circle; 1-channel images are unchanged.
Image adjust_hue(const Image& image, double shift);

// torchvision's ColorJitter: brightness/contrast/saturation factors uniform in
// [max(0, 1 - x), 1 + x], hue uniform in [-hue, hue], applied in a random order.
struct ColorJitter {
  double brightness = 0.0;
  double contrast = 0.0;
  double saturation = 0.0;
  double hue = 0.0;
  Image operator()(Image image, Rng& rng) const;
};

}  // namespace fovea::data
