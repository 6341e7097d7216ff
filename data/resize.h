#pragma once
// Resampling an Image to a new size. A separable filter is applied along x, then along y.
// When shrinking, the filter is stretched by the scale factor so that every source pixel
// contributes (antialiasing), which is what PIL does and so what torchvision's Resize and
// RandomResizedCrop do on PIL images:
//   output x' samples the source around c = (x' + 0.5) * scale, with the weights
//   filter((x + 0.5 - c) / max(scale, 1)) over the pixels x the support covers, normalised.
// Filters: bilinear = triangle on [-1, 1]; bicubic = Keys' cubic with a = -0.5 (PIL's
// choice) on [-2, 2]; area = the exact overlap of each source pixel with the output
// pixel's footprint (OpenCV's INTER_AREA when shrinking); nearest = the pixel under c.
#include <string>

#include "data/image.h"

namespace fovea::data {

enum class Interpolation { nearest, bilinear, bicubic, area };

// "nearest", "bilinear", "bicubic" or "area"; anything else is a fovea::Error.
Interpolation parse_interpolation(const std::string& name);
const char* interpolation_name(Interpolation interpolation);

// Resamples the `box` region of `source` (the whole image when box is empty) to
// height x width. Only pixels inside the box are read, as when torchvision crops and then
// resizes.
Image resize(const Image& source, int height, int width,
             Interpolation interpolation = Interpolation::bilinear, Rect box = {});

// resize() of a region whose edges may fall inside pixels, as they do once a decoder has
// shrunk the image (a Rect of the full image times ScaledImage::scale). The filter is
// centred exactly as for that region, and reads only the pixels the region overlaps; with
// whole-pixel edges this is resize() with the Rect, to the bit.
struct Region {
  double top = 0, left = 0, height = 0, width = 0;
};
Image resize_region(const Image& source, int height, int width, Interpolation interpolation,
                    const Region& region);

// The output size of torchvision's Resize(size) with an int: the short side becomes
// `size` and the long side int(size * long / short). With `long_side`, the long side
// becomes `size` instead (packing with --max-side).
Size2 scaled_size(int height, int width, int size, bool long_side = false);

Image resize_short_side(const Image& source, int size,
                        Interpolation interpolation = Interpolation::bilinear);

}  // namespace fovea::data
