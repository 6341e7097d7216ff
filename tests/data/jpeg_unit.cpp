// JPEG through libjpeg-turbo: the same pixels as stb's decoder up to IDCT rounding, the
// reduced (DCT-scaled) decode and what the pipeline makes of it, and the files that go
// to stb or are refused as before.
#include <gtest/gtest.h>
#include <stb_image.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "data/decode.h"
#include "data/pipeline.h"
#include "tests/data/data_test_util.h"

namespace fovea::data {
namespace {

using testing::TempDir;

// A colourised Fashion-MNIST picture with a fine grain, so that it has the high
// frequencies of a photograph (a smooth upscaled picture would hide IDCT differences).
Image textured(int64_t index, int height, int width) {
  Image image = testing::colourised(index, height, width);
  uint32_t noise = 2463534242u + static_cast<uint32_t>(index);
  for (uint8_t& v : image.pixels) {
    noise ^= noise << 13, noise ^= noise >> 17, noise ^= noise << 5;  // xorshift32
    v = static_cast<uint8_t>(std::clamp(v + static_cast<int>(noise % 17) - 8, 0, 255));
  }
  return image;
}

std::vector<uint8_t> jpeg_bytes(const Image& image, int quality) {
  TempDir dir;
  write_jpeg(dir / "x.jpg", image, quality);
  return testing::read_bytes(dir / "x.jpg");
}

// A JPEG written by libjpeg-turbo itself: stb_image_write always writes three
// components, so a 1-channel image gives a true grayscale JPEG only this way.
std::vector<uint8_t> turbo_jpeg_bytes(const Image& image, int quality) {
  const std::unique_ptr<void, int (*)(tjhandle)> compressor(tjInitCompress(), tjDestroy);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  const bool gray = image.channels == 1;
  const int status = tjCompress2(compressor.get(), image.pixels.data(), image.width, 0,
                                 image.height, gray ? TJPF_GRAY : TJPF_RGB, &buffer, &size,
                                 gray ? TJSAMP_GRAY : TJSAMP_420, quality, 0);
  EXPECT_EQ(status, 0) << tjGetErrorStr2(compressor.get());
  std::vector<uint8_t> bytes(buffer, buffer + size);
  tjFree(buffer);
  return bytes;
}

Image stb_decode(const std::vector<uint8_t>& bytes, int channels) {
  int width = 0, height = 0, source_channels = 0;
  uint8_t* pixels = stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &width,
                                          &height, &source_channels, channels);
  EXPECT_NE(pixels, nullptr) << stbi_failure_reason();
  Image image(height, width, channels);
  if (pixels != nullptr) std::copy_n(pixels, image.pixels.size(), image.pixels.begin());
  stbi_image_free(pixels);
  return image;
}

struct Difference {
  double mean = 0;
  int max = 0;
};
Difference difference(const Image& a, const Image& b) {
  EXPECT_EQ(a.height, b.height);
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.channels, b.channels);
  Difference d;
  if (a.pixels.size() != b.pixels.size()) return {255, 255};
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    const int e = std::abs(a.pixels[i] - b.pixels[i]);
    d.mean += e;
    d.max = std::max(d.max, e);
  }
  d.mean /= static_cast<double>(a.pixels.size());
  return d;
}

DecodeNeedFn fixed_need(Rect region, Size2 output) {
  return [=](Size2) { return DecodeNeed{region, output}; };
}

TEST(Jpeg, LibjpegTurboMatchesStbUpToIdctRounding) {
  // stb_image_write at quality 90 subsamples chroma 4:2:0 (where the two upsamplers
  // differ most), at 95 it does not; libjpeg-turbo's own file is 4:2:0.
  const Image photo = textured(3, 75, 101);
  const std::pair<const char*, std::vector<uint8_t>> files[] = {
      {"stb q90", jpeg_bytes(photo, 90)},
      {"stb q95", jpeg_bytes(photo, 95)},
      {"turbo q90", turbo_jpeg_bytes(photo, 90)}};
  for (const auto& [label, bytes] : files) {
    for (const ColorMode mode : {ColorMode::rgb, ColorMode::gray}) {
      const Image turbo = decode_image(bytes, "x.jpg", mode);
      const Difference d = difference(turbo, stb_decode(bytes, mode == ColorMode::gray ? 1 : 3));
      EXPECT_LT(d.mean, 0.25) << label;
      EXPECT_LE(d.max, 4) << label;
    }
  }
  const Image gray = testing::fashion_test().load(5);
  const std::vector<uint8_t> gray_bytes = turbo_jpeg_bytes(gray, 95);
  const Image turbo_gray = decode_image(gray_bytes, "gray.jpg", ColorMode::keep);
  EXPECT_EQ(turbo_gray.channels, 1);
  EXPECT_LE(difference(turbo_gray, stb_decode(gray_bytes, 1)).max, 2);
  EXPECT_EQ(decode_image(gray_bytes, "gray.jpg", ColorMode::rgb).channels, 3);
}

TEST(Jpeg, ReducedDecodeKeepsTheRegionAtLeastTheOutputSize) {
  const std::vector<uint8_t> bytes = jpeg_bytes(textured(4, 640, 803), 90);
  const Rect whole{0, 0, 640, 803};
  struct Case {
    Rect region;
    Size2 output;
    double scale;
  };
  const Case cases[] = {
      {whole, {80, 100}, 1.0 / 8},  // 640 >= 8 * 80 and 803 >= 8 * 100
      {whole, {81, 100}, 1.0 / 4},  // 640 < 8 * 81
      {{100, 200, 300, 250}, {75, 60}, 1.0 / 4},
      {{100, 200, 300, 250}, {76, 60}, 1.0 / 2},  // 300 < 4 * 76
      {{100, 200, 300, 250}, {151, 60}, 1.0},     // 300 < 2 * 151: never below the output
      {whole, {640, 803}, 1.0},
  };
  for (const Case& c : cases) {
    const ScaledImage out =
        decode_image_for(bytes, "x.jpg", ColorMode::rgb, fixed_need(c.region, c.output));
    EXPECT_EQ(out.full_size, (Size2{640, 803}));
    EXPECT_EQ(out.scale, c.scale) << c.output.height << "x" << c.output.width;
    // TurboJPEG's size: ceil(full * scale).
    EXPECT_EQ(out.image.height, static_cast<int>(std::ceil(640 * c.scale)));
    EXPECT_EQ(out.image.width, static_cast<int>(std::ceil(803 * c.scale)));
    EXPECT_GE(c.region.height * out.scale, c.output.height);
    EXPECT_GE(c.region.width * out.scale, c.output.width);
  }
  const ScaledImage gray =
      decode_image_for(bytes, "x.jpg", ColorMode::gray, fixed_need(whole, {80, 100}));
  EXPECT_EQ(gray.image.channels, 1);
  EXPECT_EQ(gray.image.height, 80);
}

// The same sample from a reduced decode and from a full one: the same size, and close,
// for the training crop (RandomResizedCrop 64 of a 768x1024 photo: many crops allow 1/2
// or 1/4) and the eval resize (short side 73: 1/8).
TEST(Jpeg, PipelineOnAReducedDecodeMatchesTheFullDecode) {
  const std::vector<uint8_t> bytes = jpeg_bytes(textured(6, 768, 1024), 90);
  const Image full = decode_image(bytes, "photo.jpg");
  PipelineSpec spec;
  spec.image_size = 64;
  for (const bool train : {true, false}) {
    spec.train = train;
    const Pipeline pipeline(spec);
    int reduced = 0;
    double worst_mean = 0;
    for (uint64_t index = 0; index < 12; ++index) {
      const SampleKey key{.seed = 5, .epoch = 1, .index = index};
      ScaledImage scaled =
          decode_image_for(bytes, "photo.jpg", ColorMode::rgb, pipeline.decode_need_for(key));
      if (scaled.scale < 1.0) ++reduced;
      const Image from_scaled = pipeline.transform(std::move(scaled), key);
      const Image from_full = pipeline.transform(full, key);
      const Difference d = difference(from_scaled, from_full);
      worst_mean = std::max(worst_mean, d.mean);
    }
    EXPECT_GE(reduced, train ? 6 : 12) << (train ? "train" : "eval");
    EXPECT_LT(worst_mean, 1.0) << (train ? "train" : "eval");
  }
  spec.train = true;
  spec.clahe_clip = 2.0;  // CLAHE's tiles need the full-size image: no reduction
  const Pipeline with_clahe(spec);
  const ScaledImage out =
      decode_image_for(bytes, "photo.jpg", ColorMode::rgb, with_clahe.decode_need_for({}));
  EXPECT_EQ(out.scale, 1.0);
  EXPECT_EQ(out.image, full);
}

// CMYK JPEGs go to stb too: decode_unit.cpp's AdobeCmykJpegBecomesRgb.
TEST(Jpeg, OtherFormatsGoToStbUnreduced) {
  TempDir dir;
  const Image rgb = textured(7, 64, 80);
  write_png(dir / "x.png", rgb);
  const DecodeNeedFn tiny = fixed_need({0, 0, 64, 80}, {4, 4});
  const ScaledImage png = read_image_for(dir / "x.png", ColorMode::rgb, tiny);
  EXPECT_EQ(png.scale, 1.0);
  EXPECT_EQ(png.image, rgb);
  write_bmp(dir / "x.bmp", rgb);
  EXPECT_EQ(read_image_for(dir / "x.bmp", ColorMode::rgb, tiny).image, rgb);
}

TEST(Jpeg, AWarningFromLibjpegTurboFallsBackToStb) {
  // The second half of the scan cut out, the end-of-image marker kept: libjpeg-turbo
  // warns ("premature end of data segment"), so stb decodes the file as it always has
  // (the rows it cannot read come out flat), at full size.
  std::vector<uint8_t> bytes = jpeg_bytes(textured(8, 48, 64), 95);
  ASSERT_EQ(bytes[bytes.size() - 2], 0xFF);
  ASSERT_EQ(bytes[bytes.size() - 1], 0xD9);
  bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() * 3 / 4), bytes.end() - 2);
  const ScaledImage cut =
      decode_image_for(bytes, "cut.jpg", ColorMode::rgb, fixed_need({0, 0, 48, 64}, {6, 8}));
  EXPECT_EQ(cut.scale, 1.0);
  EXPECT_EQ(cut.image, stb_decode(bytes, 3));
}

TEST(Jpeg, CorruptJpegGivesTheClearErrorNamingTheFile) {
  const std::vector<uint8_t> good = jpeg_bytes(textured(10, 40, 40), 90);
  const Image good_before = decode_image(good, "good.jpg");
  std::vector<uint8_t> bytes = jpeg_bytes(textured(9, 40, 40), 90);
  // The first Huffman table (FF C4, length, class/id, then 16 code counts): counts that
  // add up to more codes than the table can hold. Neither decoder can read past it.
  size_t dht = 0;
  for (size_t i = 2; i + 1 < bytes.size(); ++i) {
    if (bytes[i] == 0xFF && bytes[i + 1] == 0xC4) {
      dht = i;
      break;
    }
  }
  ASSERT_GT(dht, 0u);
  for (size_t k = 0; k < 16; ++k) bytes[dht + 5 + k] = 0xFF;
  for (const bool reduced : {false, true}) {
    std::string message = "<no DecodeError>";
    try {
      if (reduced) {
        decode_image_for(bytes, "shots/bad.jpg", ColorMode::rgb,
                         fixed_need({0, 0, 40, 40}, {4, 4}));
      } else {
        decode_image(bytes, "shots/bad.jpg");
      }
    } catch (const DecodeError& e) {  // the loader's "skip this file" error
      message = e.what();
    }
    EXPECT_NE(message.find("shots/bad.jpg"), std::string::npos) << message;
    EXPECT_NE(message.find("corrupt"), std::string::npos) << message;
  }
  // The thread's decompressor is not left in the bad file's header.
  EXPECT_EQ(decode_image(good, "good.jpg"), good_before);
}

}  // namespace
}  // namespace fovea::data
