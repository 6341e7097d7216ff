#include "data/clahe.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "kernels/error.h"

namespace fovea::data {

namespace {

constexpr int kBins = 256;
using Lut = std::array<uint8_t, kBins>;

uint8_t round_u8(double v) {
  return static_cast<uint8_t>(std::clamp(std::nearbyint(v), 0.0, 255.0));
}

// OpenCV's BORDER_REFLECT_101 index for i in [0, n + n): ... 3 2 1 | 0 1 2 ... n-1 | n-2 ...
int reflect_101(int i, int n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

Lut tile_lut(const std::vector<uint8_t>& plane, int width, int height, int top, int left,
             int tile_h, int tile_w, int clip) {
  std::array<int, kBins> hist{};
  for (int y = top; y < top + tile_h; ++y) {
    const int sy = reflect_101(y, height);
    for (int x = left; x < left + tile_w; ++x) {
      ++hist[plane[static_cast<size_t>(sy) * width + reflect_101(x, width)]];
    }
  }
  if (clip > 0) {
    int clipped = 0;
    for (int& count : hist) {
      if (count > clip) {
        clipped += count - clip;
        count = clip;
      }
    }
    const int batch = clipped / kBins;
    int residual = clipped - batch * kBins;
    for (int& count : hist) count += batch;
    if (residual != 0) {
      const int step = std::max(kBins / residual, 1);
      for (int i = 0; i < kBins && residual > 0; i += step, --residual) ++hist[i];
    }
  }
  const float scale = static_cast<float>(kBins - 1) / static_cast<float>(tile_h * tile_w);
  Lut lut;
  int sum = 0;
  for (int i = 0; i < kBins; ++i) {
    sum += hist[i];
    lut[i] = round_u8(static_cast<float>(sum) * scale);
  }
  return lut;
}

// CLAHE of one 8-bit plane.
std::vector<uint8_t> clahe_plane(const std::vector<uint8_t>& plane, int height, int width,
                                 double clip_limit, int rows, int cols) {
  const bool exact = height % rows == 0 && width % cols == 0;
  const int padded_h = exact ? height : height + rows - height % rows;
  const int padded_w = exact ? width : width + cols - width % cols;
  const int tile_h = padded_h / rows, tile_w = padded_w / cols;
  const int area = tile_h * tile_w;
  const int clip = clip_limit > 0.0 ? std::max(static_cast<int>(clip_limit * area / kBins), 1) : 0;
  std::vector<Lut> luts(static_cast<size_t>(rows) * cols);
  for (int ty = 0; ty < rows; ++ty) {
    for (int tx = 0; tx < cols; ++tx) {
      luts[ty * cols + tx] =
          tile_lut(plane, width, height, ty * tile_h, tx * tile_w, tile_h, tile_w, clip);
    }
  }
  std::vector<uint8_t> out(plane.size());
  const float inv_tw = 1.0f / tile_w, inv_th = 1.0f / tile_h;
  for (int y = 0; y < height; ++y) {
    const float tyf = y * inv_th - 0.5f;
    const int ty = static_cast<int>(std::floor(tyf));
    const float ya = tyf - ty;
    const int ty1 = std::max(ty, 0), ty2 = std::min(ty + 1, rows - 1);
    for (int x = 0; x < width; ++x) {
      const float txf = x * inv_tw - 0.5f;
      const int tx = static_cast<int>(std::floor(txf));
      const float xa = txf - tx;
      const int tx1 = std::max(tx, 0), tx2 = std::min(tx + 1, cols - 1);
      const uint8_t v = plane[static_cast<size_t>(y) * width + x];
      const float top = luts[ty1 * cols + tx1][v] * (1.0f - xa) + luts[ty1 * cols + tx2][v] * xa;
      const float bottom = luts[ty2 * cols + tx1][v] * (1.0f - xa) + luts[ty2 * cols + tx2][v] * xa;
      out[static_cast<size_t>(y) * width + x] = round_u8(top * (1.0f - ya) + bottom * ya);
    }
  }
  return out;
}

}  // namespace

Image clahe(const Image& image, double clip_limit, int grid_rows, int grid_cols) {
  FOVEA_CHECK(
      grid_rows > 0 && grid_cols > 0 && grid_rows <= image.height && grid_cols <= image.width,
      "clahe: a {}x{} tile grid does not fit a {}x{} image", grid_rows, grid_cols, image.height,
      image.width);
  FOVEA_CHECK(image.channels == 1 || image.channels == 3, "clahe: expected 1 or 3 channels, got {}",
              image.channels);
  const size_t pixels = static_cast<size_t>(image.height) * image.width;
  if (image.channels == 1) {
    Image out(image.height, image.width, 1);
    out.pixels =
        clahe_plane(image.pixels, image.height, image.width, clip_limit, grid_rows, grid_cols);
    return out;
  }
  std::vector<uint8_t> luma(pixels);
  std::vector<float> cb(pixels), cr(pixels);
  for (size_t i = 0; i < pixels; ++i) {
    const float r = image.pixels[3 * i], g = image.pixels[3 * i + 1], b = image.pixels[3 * i + 2];
    luma[i] = round_u8(0.299f * r + 0.587f * g + 0.114f * b);
    cb[i] = -0.168736f * r - 0.331264f * g + 0.5f * b;
    cr[i] = 0.5f * r - 0.418688f * g - 0.081312f * b;
  }
  const std::vector<uint8_t> equalised =
      clahe_plane(luma, image.height, image.width, clip_limit, grid_rows, grid_cols);
  Image out(image.height, image.width, 3);
  for (size_t i = 0; i < pixels; ++i) {
    const float y = equalised[i];
    out.pixels[3 * i] = round_u8(y + 1.402f * cr[i]);
    out.pixels[3 * i + 1] = round_u8(y - 0.344136f * cb[i] - 0.714136f * cr[i]);
    out.pixels[3 * i + 2] = round_u8(y + 1.772f * cb[i]);
  }
  return out;
}

}  // namespace fovea::data
