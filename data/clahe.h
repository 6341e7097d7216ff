#pragma once
// CLAHE, contrast-limited adaptive histogram equalisation (Zuiderveld, "Graphics Gems IV",
// 1994), computed the way OpenCV's cv::createCLAHE computes it for 8-bit images, so that a
// seed written against OpenCV or albumentations sees the same pixels:
//  1. The image is cut into grid_rows x grid_cols tiles. When a side is not a multiple of
//     its tile count, the image is first padded at the bottom and right by mirroring
//     (BORDER_REFLECT_101) -- note OpenCV then pads both sides, one by a whole tile count.
//  2. Per tile: the histogram is clipped at max(1, int(clip_limit * tile_area / 256));
//     the clipped excess is spread evenly over all 256 bins, the remainder one bin at a
//     time with step max(256 / remainder, 1) from bin 0. The tile's mapping is then the
//     cumulative histogram scaled by 255 / tile_area and rounded.
//  3. Every pixel's value is mapped through the four nearest tile mappings (tile centres),
//     blended bilinearly; at the borders the nearest tiles are used.
// A colour image is equalised on its luma: RGB -> YCbCr (JPEG, full range), CLAHE on Y,
// back to RGB with Cb and Cr unchanged (albumentations uses Lab's L; Y is the cheaper
// luma and keeps hue the same way).
#include "data/image.h"

namespace fovea::data {

// clip_limit <= 0 disables clipping (plain adaptive equalisation).
Image clahe(const Image& image, double clip_limit = 2.0, int grid_rows = 8, int grid_cols = 8);

}  // namespace fovea::data
