#include "data/color.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "kernels/error.h"

namespace fovea::data {

namespace {

uint8_t round_u8(double v) {
  return static_cast<uint8_t>(std::clamp(std::nearbyint(v), 0.0, 255.0));
}

// RGB in [0, 1] -> hue in [0, 1), saturation, value (the hexcone model).
std::array<double, 3> rgb_to_hsv(double r, double g, double b) {
  const double max = std::max({r, g, b}), min = std::min({r, g, b}), delta = max - min;
  double h = 0.0;
  if (delta > 0.0) {
    if (max == r) {
      h = std::fmod((g - b) / delta + 6.0, 6.0);
    } else if (max == g) {
      h = (b - r) / delta + 2.0;
    } else {
      h = (r - g) / delta + 4.0;
    }
    h /= 6.0;
  }
  return {h, max > 0.0 ? delta / max : 0.0, max};
}

std::array<double, 3> hsv_to_rgb(double h, double s, double v) {
  const double sector = h * 6.0;
  const int i = static_cast<int>(std::floor(sector)) % 6;
  const double f = sector - std::floor(sector);
  const double p = v * (1.0 - s), q = v * (1.0 - s * f), t = v * (1.0 - s * (1.0 - f));
  switch (i) {
    case 0:
      return {v, t, p};
    case 1:
      return {q, v, p};
    case 2:
      return {p, v, t};
    case 3:
      return {p, q, v};
    case 4:
      return {t, p, v};
    default:
      return {v, p, q};
  }
}

}  // namespace

uint8_t luma(uint8_t r, uint8_t g, uint8_t b) {
  return static_cast<uint8_t>((19595u * r + 38470u * g + 7471u * b + 0x8000u) >> 16);
}

Image to_grayscale(const Image& image, int channels) {
  FOVEA_CHECK(channels == 1 || channels == 3, "to_grayscale: channels must be 1 or 3, got {}",
              channels);
  Image out(image.height, image.width, channels);
  const size_t pixels = static_cast<size_t>(image.height) * image.width;
  for (size_t i = 0; i < pixels; ++i) {
    const uint8_t* p = image.pixels.data() + i * image.channels;
    const uint8_t y = image.channels >= 3 ? luma(p[0], p[1], p[2]) : p[0];
    for (int c = 0; c < channels; ++c) out.pixels[i * channels + c] = y;
  }
  return out;
}

Image to_rgb(const Image& image) {
  if (image.channels == 3) return image;
  return to_grayscale(image, 3);
}

Image blend(const Image& degenerate, const Image& image, double factor) {
  FOVEA_CHECK(degenerate.pixels.size() == image.pixels.size(), "blend: images of {} and {} bytes",
              degenerate.pixels.size(), image.pixels.size());
  Image out(image.height, image.width, image.channels);
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    const double base = degenerate.pixels[i];
    out.pixels[i] = round_u8(base + factor * (image.pixels[i] - base));
  }
  return out;
}

Image adjust_brightness(const Image& image, double factor) {
  Image out(image.height, image.width, image.channels);
  for (size_t i = 0; i < image.pixels.size(); ++i)
    out.pixels[i] = round_u8(factor * image.pixels[i]);
  return out;
}

Image adjust_contrast(const Image& image, double factor) {
  const Image gray = to_grayscale(image, 1);
  double total = 0.0;
  for (uint8_t v : gray.pixels) total += v;
  // PIL's ImageEnhance.Contrast rounds the mean to an integer grey level.
  const int mean = static_cast<int>(total / std::max<size_t>(gray.pixels.size(), 1) + 0.5);
  Image out(image.height, image.width, image.channels);
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    out.pixels[i] = round_u8(mean + factor * (image.pixels[i] - mean));
  }
  return out;
}

Image adjust_saturation(const Image& image, double factor) {
  if (image.channels != 3) return image;
  return blend(to_grayscale(image, 3), image, factor);
}

Image adjust_hue(const Image& image, double shift) {
  FOVEA_CHECK(shift >= -0.5 && shift <= 0.5, "adjust_hue: shift must be in [-0.5, 0.5], got {}",
              shift);
  if (image.channels != 3) return image;
  Image out(image.height, image.width, 3);
  for (size_t i = 0; i < image.pixels.size(); i += 3) {
    const uint8_t* p = image.pixels.data() + i;
    auto [h, s, v] = rgb_to_hsv(p[0] / 255.0, p[1] / 255.0, p[2] / 255.0);
    h = h + shift - std::floor(h + shift);
    const auto rgb = hsv_to_rgb(h, s, v);
    for (int c = 0; c < 3; ++c) out.pixels[i + c] = round_u8(rgb[c] * 255.0);
  }
  return out;
}

Image ColorJitter::operator()(Image image, Rng& rng) const {
  const auto factor = [&rng](double x) { return rng.uniform(std::max(0.0, 1.0 - x), 1.0 + x); };
  // The four draws come first, in a fixed order, as in torchvision's get_params.
  std::array<int, 4> order = {0, 1, 2, 3};
  for (int i = 3; i > 0; --i) std::swap(order[i], order[rng.integer(0, i + 1)]);
  const double b = brightness > 0 ? factor(brightness) : 1.0;
  const double c = contrast > 0 ? factor(contrast) : 1.0;
  const double s = saturation > 0 ? factor(saturation) : 1.0;
  const double h = hue > 0 ? rng.uniform(-hue, hue) : 0.0;
  for (int op : order) {
    if (op == 0 && brightness > 0) image = adjust_brightness(image, b);
    if (op == 1 && contrast > 0) image = adjust_contrast(image, c);
    if (op == 2 && saturation > 0) image = adjust_saturation(image, s);
    if (op == 3 && hue > 0) image = adjust_hue(image, h);
  }
  return image;
}

}  // namespace fovea::data
