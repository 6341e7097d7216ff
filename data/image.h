#pragma once
// Image: 8-bit pixels in row-major HWC order with 1 (grayscale) or 3 (RGB) channels. This
// is what decoders produce and what the u8 transforms consume; normalize() turns it into
// floats at the very end, the way torchvision works on PIL images until ToTensor.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
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

struct Size2 {
  int height = 0;
  int width = 0;
  bool operator==(const Size2&) const = default;
};

// A decoded image that its decoder may have shrunk on the way: JPEG's DCT-domain scaling
// decodes at 1/2, 1/4 or 1/8 of the size for much less work than a full decode. A pixel
// edge at x in the full image lies at x * scale in `image`. Other formats, and datasets
// that hold pixels, give scale 1.
struct ScaledImage {
  Image image;
  Size2 full_size;  // the size the file's header gives
  double scale = 1.0;

  static ScaledImage unscaled(Image image) {
    const Size2 size{image.height, image.width};
    return {std::move(image), size, 1.0};
  }
};

// What a caller will read of an image, once the image's full size is known: the region it
// reads, in the full image's pixels, and the size it resamples that region to. A decoder
// may shrink the image only as far as the region keeps at least `output` pixels each way,
// so that the shrinking drops nothing the resampling would have kept.
struct DecodeNeed {
  Rect region;
  Size2 output;
};
using DecodeNeedFn = std::function<DecodeNeed(Size2 full_size)>;

}  // namespace fovea::data
