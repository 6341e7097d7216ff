#include "data/normalize.h"

#include <cmath>

#include "kernels/error.h"

namespace fovea::data {

Normalization imagenet_normalization() {
  return {{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};
}

void normalize_into(const Image& image, const Normalization& normalization, float* out) {
  const int channels = image.channels;
  const auto per_channel = [&](const std::vector<float>& values, const char* what) {
    FOVEA_CHECK(values.size() == 1 || static_cast<int>(values.size()) == channels,
                "normalize: {} has {} values for a {}-channel image (expected 1 or {})", what,
                values.size(), channels, channels);
    return [&values](int c) { return values.size() == 1 ? values[0] : values[c]; };
  };
  const auto mean = per_channel(normalization.mean, "mean");
  const auto std = per_channel(normalization.std, "std");
  // (v / 255 - mean) / std as one multiply-add per value, v * scale + shift.
  float scale[3], shift[3];
  std::vector<float> scales(channels), shifts(channels);
  for (int c = 0; c < channels; ++c) {
    FOVEA_CHECK(std(c) > 0.0f, "normalize: std of channel {} is {}, expected > 0", c, std(c));
    scales[c] = 1.0f / (255.0f * std(c));
    shifts[c] = -mean(c) / std(c);
    if (c < 3) scale[c] = scales[c], shift[c] = shifts[c];
  }
  const size_t pixels = static_cast<size_t>(image.height) * image.width;
  const uint8_t* in = image.pixels.data();
  if (channels == 3) {
    for (size_t i = 0; i < pixels; ++i) {
      out[3 * i] = in[3 * i] * scale[0] + shift[0];
      out[3 * i + 1] = in[3 * i + 1] * scale[1] + shift[1];
      out[3 * i + 2] = in[3 * i + 2] * scale[2] + shift[2];
    }
    return;
  }
  for (size_t i = 0; i < pixels * channels; ++i) {
    out[i] = in[i] * scales[i % channels] + shifts[i % channels];
  }
}

void store_as(const float* values, size_t count, DType dtype, void* out) {
  switch (dtype) {
    case DType::f32:
      std::copy(values, values + count, static_cast<float*>(out));
      return;
    case DType::bf16: {
      auto* dst = static_cast<uint16_t*>(out);
      for (size_t i = 0; i < count; ++i) dst[i] = float_to_bf16_bits(values[i]);
      return;
    }
    case DType::f16: {
      auto* dst = static_cast<uint16_t*>(out);
      for (size_t i = 0; i < count; ++i) dst[i] = float_to_f16_bits(values[i]);
      return;
    }
    default:
      fail("data batches are f32, bf16 or f16; {} was asked for", dtype_name(dtype));
  }
}

void RandomErasing::operator()(float* hwc, int height, int width, int channels, Rng& rng) const {
  if (rng.uniform() > probability) return;
  const double area = static_cast<double>(height) * width;
  const double log_low = std::log(min_aspect), log_high = std::log(1.0 / min_aspect);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target_area = rng.uniform(min_area, max_area) * area;
    const double aspect = std::exp(rng.uniform(log_low, log_high));
    const int h = static_cast<int>(std::nearbyint(std::sqrt(target_area * aspect)));
    const int w = static_cast<int>(std::nearbyint(std::sqrt(target_area / aspect)));
    if (w >= width || h >= height) continue;
    const int top = static_cast<int>(rng.integer(0, height - h + 1));
    const int left = static_cast<int>(rng.integer(0, width - w + 1));
    std::vector<float> channel_values(channels, 0.0f);
    if (mode == Mode::channel) {
      for (float& v : channel_values) v = static_cast<float>(rng.normal());
    }
    for (int y = top; y < top + h; ++y) {
      float* row = hwc + (static_cast<size_t>(y) * width + left) * channels;
      for (int i = 0; i < w * channels; ++i) {
        row[i] =
            mode == Mode::pixel ? static_cast<float>(rng.normal()) : channel_values[i % channels];
      }
    }
    return;
  }
}

}  // namespace fovea::data
