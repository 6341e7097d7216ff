#include "data/image_ops.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "data/color.h"

namespace fovea::data {

namespace {

using Lut = std::array<uint8_t, 256>;
using Histogram = std::array<int64_t, 256>;

Histogram channel_histogram(const Image& image, int channel) {
  Histogram h{};
  for (size_t i = channel; i < image.pixels.size(); i += image.channels) ++h[image.pixels[i]];
  return h;
}

// Applies one lookup table per channel.
template <typename MakeLut>
Image apply_luts(const Image& image, MakeLut make_lut) {
  Image out(image.height, image.width, image.channels);
  for (int c = 0; c < image.channels; ++c) {
    const Lut lut = make_lut(c);
    for (size_t i = c; i < image.pixels.size(); i += image.channels) {
      out.pixels[i] = lut[image.pixels[i]];
    }
  }
  return out;
}

Lut identity_lut() {
  Lut lut;
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<uint8_t>(i);
  return lut;
}

template <typename F>
Image map_values(const Image& image, F f) {
  Lut lut;
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<uint8_t>(f(i));
  return apply_luts(image, [&lut](int) { return lut; });
}

}  // namespace

Image auto_contrast(const Image& image) {
  return apply_luts(image, [&image](int c) {
    const Histogram h = channel_histogram(image, c);
    int lo = 0, hi = 255;
    while (lo < 256 && h[lo] == 0) ++lo;
    while (hi >= 0 && h[hi] == 0) --hi;
    if (hi <= lo) return identity_lut();
    const double scale = 255.0 / (hi - lo), offset = -lo * scale;
    Lut lut;
    for (int i = 0; i < 256; ++i) {
      lut[i] = static_cast<uint8_t>(std::clamp(static_cast<int>(i * scale + offset), 0, 255));
    }
    return lut;
  });
}

Image equalize(const Image& image) {
  return apply_luts(image, [&image](int c) {
    const Histogram h = channel_histogram(image, c);
    int64_t total = 0, last = 0, used = 0;
    for (int64_t count : h) {
      if (count == 0) continue;
      total += count;
      last = count;
      ++used;
    }
    const int64_t step = (total - last) / 255;
    if (used <= 1 || step == 0) return identity_lut();
    Lut lut;
    int64_t n = step / 2;
    for (int i = 0; i < 256; ++i) {
      lut[i] = static_cast<uint8_t>(std::min<int64_t>(n / step, 255));
      n += h[i];
    }
    return lut;
  });
}

Image invert(const Image& image) {
  return map_values(image, [](int v) { return 255 - v; });
}

Image posterize(const Image& image, int bits) {
  const int mask = bits >= 8 ? 0xFF : (0xFF << (8 - std::max(bits, 0))) & 0xFF;
  return map_values(image, [mask](int v) { return v & mask; });
}

Image solarize(const Image& image, int threshold) {
  return map_values(image, [threshold](int v) { return v >= threshold ? 255 - v : v; });
}

Image solarize_add(const Image& image, int add, int threshold) {
  return map_values(image, [=](int v) { return v < threshold ? std::min(255, v + add) : v; });
}

Image adjust_sharpness(const Image& image, double factor) {
  Image smooth = image;
  const int channels = image.channels;
  for (int y = 1; y + 1 < image.height; ++y) {
    for (int x = 1; x + 1 < image.width; ++x) {
      for (int c = 0; c < channels; ++c) {
        int sum = 4 * image.at(y, x, c);  // centre weight 5 = 1 (in the 3x3 sum) + 4
        for (int dy = -1; dy <= 1; ++dy) {
          for (int dx = -1; dx <= 1; ++dx) sum += image.at(y + dy, x + dx, c);
        }
        smooth.at(y, x, c) = static_cast<uint8_t>(std::nearbyint(sum / 13.0));
      }
    }
  }
  return blend(smooth, image, factor);
}

}  // namespace fovea::data
