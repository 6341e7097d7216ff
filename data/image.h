#pragma once
// Image: 8-bit pixels in row-major HWC order with 1 (grayscale) or 3 (RGB) channels. This
// is what decoders produce and what the u8 transforms consume; normalize() turns it into
// floats at the very end, the way torchvision works on PIL images until ToTensor.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace fovea::data {

struct Image {
  int height = 0;
  int width = 0;
  int channels = 0;
  std::vector<uint8_t> pixels;  // height * width * channels bytes

  Image() = default;
  Image(int height, int width, int channels)
      : height(height),
        width(width),
        channels(channels),
        pixels(static_cast<size_t>(height) * width * channels) {}

  bool empty() const { return pixels.empty(); }
  size_t row_bytes() const { return static_cast<size_t>(width) * channels; }
  uint8_t* row(int y) { return pixels.data() + y * row_bytes(); }
  const uint8_t* row(int y) const { return pixels.data() + y * row_bytes(); }
  uint8_t& at(int y, int x, int c) { return row(y)[x * channels + c]; }
  uint8_t at(int y, int x, int c) const { return row(y)[x * channels + c]; }

  bool operator==(const Image& other) const = default;
};

// An axis-aligned pixel rectangle: rows [top, top + height), columns [left, left + width).
struct Rect {
  int top = 0;
  int left = 0;
  int height = 0;
  int width = 0;
  bool operator==(const Rect&) const = default;
};

}  // namespace fovea::data
