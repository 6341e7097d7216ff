#pragma once
// Decoding and writing JPEG, PNG and BMP files. JPEG is decoded by libjpeg-turbo through
// its TurboJPEG API (Debian's libturbojpeg0-dev); PNG and BMP, and the JPEGs TurboJPEG
// does not turn into RGB or reports trouble with (CMYK, YCCK, warnings, errors), by
// stb_image (libstb-dev), which then decodes the file or fails as it always has. Files
// are written with stb_image_write. fovea never parses pixel data by hand; it only looks
// at a file's header to name its format and to refuse what stb would decode wrongly.
//
// decode_image_for() lets libjpeg-turbo shrink a JPEG while decoding it (DCT-domain
// scaling to 1/2, 1/4 or 1/8, far cheaper than a full decode): the caller says, once the
// header has given the full size, which region it will read and the size it will resample
// that region to (DecodeNeed, data/image.h), and the decoder takes the smallest of those
// scales that leaves the region at least that many pixels each way.
//
// What is converted and what is refused:
// - grayscale (PNG, JPEG, BMP) stays 1-channel with ColorMode::keep or ::gray, and is
//   expanded to RGB with ColorMode::rgb;
// - an alpha channel (RGBA, gray+alpha, palette with transparency) is dropped, not
//   composited;
// - 16-bit PNG is reduced to 8 bits by keeping the high byte of each sample (stb's rule);
// - Adobe CMYK/YCCK JPEGs (the kind Photoshop and PIL write, with an APP14 marker) are
//   converted to RGB by stb; a 4-channel JPEG without that marker has no defined colour
//   space and is refused;
// - anything that is not JPEG, PNG or BMP (GIF, TIFF, text, ...), an empty file, and a
//   corrupt or truncated file throw DecodeError naming the file.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "data/image.h"
#include "kernels/error.h"

namespace fovea::data {

// A file that cannot be turned into an image. It is recoverable: the loader skips the
// sample, counts it and reports the path once (see data/loader.h).
class DecodeError : public Error {
 public:
  using Error::Error;
};

enum class ColorMode {
  rgb,   // always 3 channels (grayscale is replicated)
  gray,  // always 1 channel (RGB is reduced to luma, ITU-R 601 weights)
  keep,  // 1 channel for grayscale sources, 3 for colour ones
};

enum class ImageFormat { jpeg, png, bmp, unknown };

// The format named by the first bytes of a file (its "magic number").
ImageFormat sniff_format(std::span<const uint8_t> bytes);
const char* format_name(ImageFormat format);

// `name` is used in error messages only (usually the path).
Image decode_image(std::span<const uint8_t> bytes, const std::string& name,
                   ColorMode mode = ColorMode::rgb);
Image read_image(const std::filesystem::path& path, ColorMode mode = ColorMode::rgb);

// decode_image(), shrunk as far as `need` allows when the file is a JPEG that libjpeg-turbo
// decodes (scale 1 otherwise). The same files are refused, with the same messages.
ScaledImage decode_image_for(std::span<const uint8_t> bytes, const std::string& name,
                             ColorMode mode, const DecodeNeedFn& need);
ScaledImage read_image_for(const std::filesystem::path& path, ColorMode mode,
                           const DecodeNeedFn& need);

// The whole file; a missing or unreadable file is a DecodeError naming the path.
std::vector<uint8_t> read_file_bytes(const std::filesystem::path& path);

// Writers, for tests, benchmarks and tools; they throw fovea::Error on failure.
void write_png(const std::filesystem::path& path, const Image& image);
void write_jpeg(const std::filesystem::path& path, const Image& image, int quality = 90);
void write_bmp(const std::filesystem::path& path, const Image& image);

}  // namespace fovea::data
