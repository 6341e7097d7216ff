#include "data/decode.h"

#include <stb_image.h>
#include <stb_image_write.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>

namespace fovea::data {

namespace {

// What stb does not check for us in a JPEG: the number of components (to refuse a CMYK
// file whose colour space is unknown) and whether the end-of-image marker is there
// (stb fills a truncated scan with zeros and returns a half-grey image without a word).
struct JpegFacts {
  int components = 0;
  bool adobe_marker = false;
  bool has_scan = false;
  bool has_end_marker = false;
};

JpegFacts inspect_jpeg(std::span<const uint8_t> bytes) {
  JpegFacts facts;
  size_t pos = 2;  // after SOI
  size_t scan_start = bytes.size();
  while (pos + 4 <= bytes.size() && bytes[pos] == 0xFF) {
    const uint8_t marker = bytes[pos + 1];
    if (marker == 0xFF) {  // fill byte before a marker
      ++pos;
      continue;
    }
    const size_t length = (static_cast<size_t>(bytes[pos + 2]) << 8) | bytes[pos + 3];
    const uint8_t* payload = bytes.data() + pos + 4;
    const size_t payload_size = length >= 2 ? std::min(length - 2, bytes.size() - pos - 4) : 0;
    const bool start_of_frame =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (start_of_frame && payload_size >= 6) facts.components = payload[5];
    if (marker == 0xEE && payload_size >= 5 && std::memcmp(payload, "Adobe", 5) == 0) {
      facts.adobe_marker = true;
    }
    if (marker == 0xDA) {  // start of scan: entropy-coded data follows
      scan_start = pos;
      break;
    }
    pos += 2 + length;
  }
  // Inside entropy-coded data a 0xFF byte is always followed by 0x00 or a restart marker,
  // so FF D9 after the first scan can only be the end-of-image marker. It is looked for
  // from the end, where it nearly always is (a forward search reads the whole scan).
  static constexpr uint8_t kEndOfImageReversed[] = {0xD9, 0xFF};
  facts.has_scan = scan_start < bytes.size();
  if (facts.has_scan) {
    const auto scan = bytes.subspan(scan_start);
    facts.has_end_marker = std::search(scan.rbegin(), scan.rend(), std::begin(kEndOfImageReversed),
                                       std::end(kEndOfImageReversed)) != scan.rend();
  }
  return facts;
}

// A BMP names its own size in bytes 2..5; stb reads past a shortened file as zeros.
bool bmp_is_truncated(std::span<const uint8_t> bytes) {
  if (bytes.size() < 6) return true;
  const uint32_t declared =
      bytes[2] | (bytes[3] << 8) | (bytes[4] << 16) | (static_cast<uint32_t>(bytes[5]) << 24);
  return bytes.size() < declared;
}

int wanted_channels(ColorMode mode, int source_channels) {
  switch (mode) {
    case ColorMode::rgb:
      return 3;
    case ColorMode::gray:
      return 1;
    case ColorMode::keep:
      return source_channels <= 2 ? 1 : 3;  // 2 = gray + alpha
  }
  return 3;
}

// One TurboJPEG decompressor per thread, since making one allocates libjpeg's state. It
// is replaced after any failure: TurboJPEG 2.1's header reader returns from an error with
// libjpeg still inside the bad header, and would read the next file's header from there
// (the next good file then decoded wrong).
using TurboHandle = std::unique_ptr<void, int (*)(tjhandle)>;
TurboHandle& turbo_decompressor() {
  thread_local TurboHandle handle(nullptr, tjDestroy);
  if (!handle) {
    handle.reset(tjInitDecompress());
    FOVEA_CHECK(handle != nullptr, "cannot create a TurboJPEG decompressor: {}",
                tjGetErrorStr2(nullptr));
  }
  return handle;
}

// The DCT-domain reduction d (the image decodes at 1/d of its size): the largest of 8, 4
// and 2 that leaves the region at least `output` pixels each way, else 1. Images under 8
// pixels a side are not reduced: TurboJPEG picks the largest of its sixteen scaling
// factors that gives the size asked for, and there two factors can give the same size.
int dct_reduction(Size2 full, const DecodeNeed& need) {
  if (full.height < 8 || full.width < 8) return 1;
  for (const int d : {8, 4, 2}) {
    if (need.region.height >= d * need.output.height &&
        need.region.width >= d * need.output.width) {
      return d;
    }
  }
  return 1;
}

// libjpeg-turbo's decode, at 1/d of the size where `need` allows it, or nothing where
// TurboJPEG cannot or will not: CMYK and YCCK (it does not convert them to RGB), a header
// or a scan it reports an error or even a warning on. stb then reads the file as it did
// before libjpeg-turbo was used, or refuses it with the same message.
std::optional<ScaledImage> decode_jpeg_turbo(std::span<const uint8_t> bytes, ColorMode mode,
                                             const DecodeNeedFn* need) {
  TurboHandle& handle = turbo_decompressor();
  tjhandle decompressor = handle.get();
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(decompressor, bytes.data(), bytes.size(), &width, &height, &subsampling,
                          &colorspace) != 0) {
    handle.reset();
    return std::nullopt;
  }
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) return std::nullopt;
  const Size2 full{height, width};
  const int reduction = need != nullptr ? dct_reduction(full, (*need)(full)) : 1;
  const tjscalingfactor factor{1, reduction};
  const int channels = wanted_channels(mode, colorspace == TJCS_GRAY ? 1 : 3);
  ScaledImage out{Image(TJSCALED(height, factor), TJSCALED(width, factor), channels), full,
                  1.0 / reduction};
  // Flags 0: the accurate integer IDCT and smooth chroma upsampling, PIL's defaults too.
  if (tjDecompress2(decompressor, bytes.data(), bytes.size(), out.image.pixels.data(),
                    out.image.width, 0, out.image.height, channels == 1 ? TJPF_GRAY : TJPF_RGB,
                    0) != 0) {
    handle.reset();
    return std::nullopt;
  }
  return out;
}

void check_writable(const Image& image, const std::filesystem::path& path) {
  FOVEA_CHECK(!image.empty() && (image.channels == 1 || image.channels == 3),
              "cannot write {}: image is {}x{} with {} channel(s); expected a non-empty image "
              "with 1 or 3 channels",
              path.string(), image.height, image.width, image.channels);
}

}  // namespace

ImageFormat sniff_format(std::span<const uint8_t> bytes) {
  static constexpr uint8_t kPng[] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) {
    return ImageFormat::jpeg;
  }
  if (bytes.size() >= 8 && std::equal(std::begin(kPng), std::end(kPng), bytes.begin())) {
    return ImageFormat::png;
  }
  if (bytes.size() >= 2 && bytes[0] == 'B' && bytes[1] == 'M') return ImageFormat::bmp;
  return ImageFormat::unknown;
}

const char* format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::jpeg:
      return "JPEG";
    case ImageFormat::png:
      return "PNG";
    case ImageFormat::bmp:
      return "BMP";
    case ImageFormat::unknown:
      return "unknown";
  }
  return "unknown";
}

namespace {

// Everything decode_image and decode_image_for do; `need` is null for a full-size decode.
ScaledImage decode(std::span<const uint8_t> bytes, const std::string& name, ColorMode mode,
                   const DecodeNeedFn* need) {
  if (bytes.empty()) {
    throw DecodeError(
        fmt::format("{}: empty file (0 bytes); expected a JPEG, PNG or BMP image", name));
  }
  const ImageFormat format = sniff_format(bytes);
  if (format == ImageFormat::unknown) {
    const size_t shown = std::min<size_t>(bytes.size(), 4);
    throw DecodeError(fmt::format(
        "{}: not a JPEG, PNG or BMP image (it starts with bytes {:02x}); fovea reads only those",
        name, fmt::join(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(shown), " ")));
  }
  if (format == ImageFormat::jpeg) {
    const JpegFacts facts = inspect_jpeg(bytes);
    if (facts.components == 4 && !facts.adobe_marker) {
      throw DecodeError(fmt::format(
          "{}: 4-channel (CMYK) JPEG without an Adobe APP14 marker, so its colour space is "
          "unknown; convert it to RGB",
          name));
    }
    if (!facts.has_scan) {
      throw DecodeError(fmt::format("{}: corrupt JPEG (no readable start-of-scan marker)", name));
    }
    if (!facts.has_end_marker) {
      throw DecodeError(fmt::format("{}: truncated JPEG (no end-of-image marker)", name));
    }
    if (std::optional<ScaledImage> decoded = decode_jpeg_turbo(bytes, mode, need)) {
      return std::move(*decoded);
    }
  }
  if (format == ImageFormat::bmp && bmp_is_truncated(bytes)) {
    throw DecodeError(fmt::format("{}: truncated BMP (shorter than its header says)", name));
  }
  const int size = static_cast<int>(bytes.size());
  int width = 0, height = 0, source_channels = 0;
  if (!stbi_info_from_memory(bytes.data(), size, &width, &height, &source_channels)) {
    throw DecodeError(
        fmt::format("{}: corrupt {} file: {}", name, format_name(format), stbi_failure_reason()));
  }
  const int channels = wanted_channels(mode, source_channels);
  std::unique_ptr<uint8_t, void (*)(void*)> pixels(
      stbi_load_from_memory(bytes.data(), size, &width, &height, &source_channels, channels),
      stbi_image_free);
  if (!pixels) {
    throw DecodeError(fmt::format("{}: corrupt or truncated {} file: {}", name, format_name(format),
                                  stbi_failure_reason()));
  }
  Image image(height, width, channels);
  std::memcpy(image.pixels.data(), pixels.get(), image.pixels.size());
  return ScaledImage::unscaled(std::move(image));
}

}  // namespace

Image decode_image(std::span<const uint8_t> bytes, const std::string& name, ColorMode mode) {
  return decode(bytes, name, mode, nullptr).image;
}

ScaledImage decode_image_for(std::span<const uint8_t> bytes, const std::string& name,
                             ColorMode mode, const DecodeNeedFn& need) {
  return decode(bytes, name, mode, &need);
}

std::vector<uint8_t> read_file_bytes(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) throw DecodeError(fmt::format("{}: cannot open file", path.string()));
  const std::streamsize size = file.tellg();
  std::vector<uint8_t> bytes(static_cast<size_t>(std::max<std::streamsize>(size, 0)));
  file.seekg(0);
  if (size > 0 && !file.read(reinterpret_cast<char*>(bytes.data()), size)) {
    throw DecodeError(fmt::format("{}: cannot read {} bytes", path.string(), size));
  }
  return bytes;
}

Image read_image(const std::filesystem::path& path, ColorMode mode) {
  return decode_image(read_file_bytes(path), path.string(), mode);
}

ScaledImage read_image_for(const std::filesystem::path& path, ColorMode mode,
                           const DecodeNeedFn& need) {
  return decode_image_for(read_file_bytes(path), path.string(), mode, need);
}

void write_png(const std::filesystem::path& path, const Image& image) {
  check_writable(image, path);
  const int ok = stbi_write_png(path.c_str(), image.width, image.height, image.channels,
                                image.pixels.data(), static_cast<int>(image.row_bytes()));
  FOVEA_CHECK(ok != 0, "cannot write PNG file {}", path.string());
}

void write_jpeg(const std::filesystem::path& path, const Image& image, int quality) {
  check_writable(image, path);
  FOVEA_CHECK(quality >= 1 && quality <= 100, "JPEG quality must be in [1, 100], got {}", quality);
  const int ok = stbi_write_jpg(path.c_str(), image.width, image.height, image.channels,
                                image.pixels.data(), quality);
  FOVEA_CHECK(ok != 0, "cannot write JPEG file {}", path.string());
}

void write_bmp(const std::filesystem::path& path, const Image& image) {
  check_writable(image, path);
  const int ok =
      stbi_write_bmp(path.c_str(), image.width, image.height, image.channels, image.pixels.data());
  FOVEA_CHECK(ok != 0, "cannot write BMP file {}", path.string());
}

}  // namespace fovea::data
