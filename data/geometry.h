#pragma once
// Geometric transforms of an Image: crops, flips and affine warps (rotation, shear,
// translation). Coordinates follow torchvision/PIL: x to the right, y down, pixel centres
// at integer indices, and a positive angle turns the picture counter-clockwise.
#include <array>
#include <utility>

#include "data/image.h"
#include "data/random.h"
#include "data/resize.h"

namespace fovea::data {

// A copy of `box`; parts of the box outside the image are filled with 0.
Image crop(const Image& image, Rect box);

// torchvision's center_crop: top = round((H - h) / 2), left = round((W - w) / 2) with
// Python's round-half-to-even; a crop larger than the image pads it with zeros.
Rect center_crop_box(int image_height, int image_width, int height, int width);
Image center_crop(const Image& image, int height, int width);

// torchvision's RandomResizedCrop.get_params: up to 10 tries of an area fraction drawn
// uniformly from `scale` and an aspect ratio drawn log-uniformly from `ratio`, each kept
// if it fits; otherwise the central crop with the ratio clamped into `ratio`.
struct CropRange {
  std::pair<double, double> scale = {0.08, 1.0};
  std::pair<double, double> ratio = {3.0 / 4.0, 4.0 / 3.0};
};
Rect random_resized_crop_box(int image_height, int image_width, const CropRange& range, Rng& rng);

Image flip_horizontal(const Image& image);
Image flip_vertical(const Image& image);

// Maps an output pixel (x, y) to the source point (a x + b y + c, d x + e y + f).
struct Affine {
  double a = 1, b = 0, c = 0;
  double d = 0, e = 1, f = 0;
};

// Samples the source at the mapped point of every output pixel (same size as the input).
// Source pixels outside the image read as `fill` (one value per channel), so edges blend
// smoothly into the fill with bilinear and bicubic sampling.
using Fill = std::array<uint8_t, 3>;
Image warp_affine(const Image& image, const Affine& output_to_source, Interpolation interpolation,
                  Fill fill = {0, 0, 0});

// Rotation about the image centre by `degrees` counter-clockwise, keeping the size
// (torchvision's rotate with expand=False).
Image rotate(const Image& image, double degrees,
             Interpolation interpolation = Interpolation::bilinear, Fill fill = {0, 0, 0});

}  // namespace fovea::data
