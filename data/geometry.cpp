#include "data/geometry.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/error.h"

namespace fovea::data {

namespace {

constexpr double kPi = 3.14159265358979323846;

double keys_cubic(double x) {  // a = -0.5, as in data/resize.cpp and PIL
  constexpr double a = -0.5;
  x = std::abs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

// The value of the separable filter sampling at (u, v) over a (2 r) x (2 r) neighbourhood.
template <typename Kernel>
void sample(const Image& image, double u, double v, int radius, Kernel kernel, const Fill& fill,
            uint8_t* out) {
  const int x0 = static_cast<int>(std::floor(u)), y0 = static_cast<int>(std::floor(v));
  double wx[4], wy[4];
  for (int k = 0; k < 2 * radius; ++k) {
    wx[k] = kernel(u - (x0 - radius + 1 + k));
    wy[k] = kernel(v - (y0 - radius + 1 + k));
  }
  for (int c = 0; c < image.channels; ++c) {
    double sum = 0.0;
    for (int j = 0; j < 2 * radius; ++j) {
      const int y = y0 - radius + 1 + j;
      double row_sum = 0.0;
      for (int i = 0; i < 2 * radius; ++i) {
        const int x = x0 - radius + 1 + i;
        const bool inside = x >= 0 && x < image.width && y >= 0 && y < image.height;
        row_sum += wx[i] * (inside ? image.at(y, x, c) : fill[std::min(c, 2)]);
      }
      sum += wy[j] * row_sum;
    }
    out[c] = static_cast<uint8_t>(std::clamp(std::nearbyint(sum), 0.0, 255.0));
  }
}

}  // namespace

Image crop(const Image& image, Rect box) {
  Image out(box.height, box.width, image.channels);
  const int x_begin = std::max(0, -box.left);
  const int x_end = std::min(box.width, image.width - box.left);
  for (int y = 0; y < box.height; ++y) {
    const int source_y = box.top + y;
    if (source_y < 0 || source_y >= image.height || x_begin >= x_end) continue;
    std::memcpy(out.row(y) + static_cast<size_t>(x_begin) * image.channels,
                image.row(source_y) + static_cast<size_t>(box.left + x_begin) * image.channels,
                static_cast<size_t>(x_end - x_begin) * image.channels);
  }
  return out;
}

Rect center_crop_box(int image_height, int image_width, int height, int width) {
  const auto offset = [](int have, int want) {
    if (want > have) return -((want - have) / 2);  // torchvision pads (want - have) // 2 first
    return static_cast<int>(std::nearbyint((have - want) / 2.0));
  };
  return {offset(image_height, height), offset(image_width, width), height, width};
}

Image center_crop(const Image& image, int height, int width) {
  return crop(image, center_crop_box(image.height, image.width, height, width));
}

Rect random_resized_crop_box(int image_height, int image_width, const CropRange& range, Rng& rng) {
  const double area = static_cast<double>(image_height) * image_width;
  const double log_low = std::log(range.ratio.first), log_high = std::log(range.ratio.second);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target_area = area * rng.uniform(range.scale.first, range.scale.second);
    const double aspect = std::exp(rng.uniform(log_low, log_high));
    const int w = static_cast<int>(std::nearbyint(std::sqrt(target_area * aspect)));
    const int h = static_cast<int>(std::nearbyint(std::sqrt(target_area / aspect)));
    if (w > 0 && w <= image_width && h > 0 && h <= image_height) {
      const int top = static_cast<int>(rng.integer(0, image_height - h + 1));
      const int left = static_cast<int>(rng.integer(0, image_width - w + 1));
      return {top, left, h, w};
    }
  }
  const double in_ratio = static_cast<double>(image_width) / image_height;
  int w = image_width, h = image_height;
  if (in_ratio < range.ratio.first) {
    h = static_cast<int>(std::nearbyint(w / range.ratio.first));
  } else if (in_ratio > range.ratio.second) {
    w = static_cast<int>(std::nearbyint(h * range.ratio.second));
  }
  return {(image_height - h) / 2, (image_width - w) / 2, h, w};
}

Image flip_horizontal(const Image& image) {
  Image out(image.height, image.width, image.channels);
  const int c = image.channels, w = image.width;
  for (int y = 0; y < image.height; ++y) {
    const uint8_t* src = image.row(y);
    uint8_t* dst = out.row(y);
    if (c == 3) {  // the common case, without a memcpy call per pixel
      for (int x = 0; x < w; ++x) {
        dst[3 * (w - 1 - x)] = src[3 * x];
        dst[3 * (w - 1 - x) + 1] = src[3 * x + 1];
        dst[3 * (w - 1 - x) + 2] = src[3 * x + 2];
      }
      continue;
    }
    for (int x = 0; x < w; ++x) {
      for (int k = 0; k < c; ++k) dst[(w - 1 - x) * c + k] = src[x * c + k];
    }
  }
  return out;
}

Image flip_vertical(const Image& image) {
  Image out(image.height, image.width, image.channels);
  for (int y = 0; y < image.height; ++y) {
    std::memcpy(out.row(image.height - 1 - y), image.row(y), image.row_bytes());
  }
  return out;
}

Image warp_affine(const Image& image, const Affine& m, Interpolation interpolation, Fill fill) {
  Image out(image.height, image.width, image.channels);
  const auto triangle = [](double t) { return std::max(0.0, 1.0 - std::abs(t)); };
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const double u = m.a * x + m.b * y + m.c, v = m.d * x + m.e * y + m.f;
      uint8_t* dst = out.row(y) + static_cast<size_t>(x) * image.channels;
      switch (interpolation) {
        case Interpolation::bicubic:
          sample(image, u, v, 2, keys_cubic, fill, dst);
          break;
        case Interpolation::nearest: {
          const int sx = static_cast<int>(std::nearbyint(u)),
                    sy = static_cast<int>(std::nearbyint(v));
          const bool inside = sx >= 0 && sx < image.width && sy >= 0 && sy < image.height;
          for (int c = 0; c < image.channels; ++c) {
            dst[c] = inside ? image.at(sy, sx, c) : fill[std::min(c, 2)];
          }
          break;
        }
        default:
          sample(image, u, v, 1, triangle, fill, dst);
          break;
      }
    }
  }
  return out;
}

Image rotate(const Image& image, double degrees, Interpolation interpolation, Fill fill) {
  // An output pixel at offset (dx, dy) from the centre shows the source point rotated back
  // by the angle: (dx cos t - dy sin t, dx sin t + dy cos t) in y-down coordinates.
  const double t = degrees * kPi / 180.0, cos_t = std::cos(t), sin_t = std::sin(t);
  const double cx = (image.width - 1) / 2.0, cy = (image.height - 1) / 2.0;
  Affine m;
  m.a = cos_t;
  m.b = -sin_t;
  m.c = cx - cos_t * cx + sin_t * cy;
  m.d = sin_t;
  m.e = cos_t;
  m.f = cy - sin_t * cx - cos_t * cy;
  return warp_affine(image, m, interpolation, fill);
}

}  // namespace fovea::data
