// Decoding with stb: formats, channel conversions, and the files that must be refused
// with a message naming them.
#include <gtest/gtest.h>
#include <stb_image_write.h>

#include "data/decode.h"
#include "tests/data/data_test_util.h"

namespace fovea::data {
namespace {

using testing::TempDir;

// An 8x8 CMYK JPEG as PIL writes it (Adobe APP14 marker, inverted CMYK), pure red:
// Image.new("CMYK", (8, 8), (0, 255, 255, 0)).save(..., quality=95, optimize=True).
const std::vector<uint8_t> kCmykRedJpeg = {
    0xff, 0xd8, 0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00,
    0x00, 0x00, 0x00, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x02, 0x01, 0x01, 0x01, 0x01, 0x01, 0x02,
    0x01, 0x01, 0x01, 0x02, 0x02, 0x02, 0x02, 0x02, 0x04, 0x03, 0x02, 0x02, 0x02, 0x02, 0x05,
    0x04, 0x04, 0x03, 0x04, 0x06, 0x05, 0x06, 0x06, 0x06, 0x05, 0x06, 0x06, 0x06, 0x07, 0x09,
    0x08, 0x06, 0x07, 0x09, 0x07, 0x06, 0x06, 0x08, 0x0b, 0x08, 0x09, 0x0a, 0x0a, 0x0a, 0x0a,
    0x0a, 0x06, 0x08, 0x0b, 0x0c, 0x0b, 0x0a, 0x0c, 0x09, 0x0a, 0x0a, 0x0a, 0xff, 0xc0, 0x00,
    0x14, 0x08, 0x00, 0x08, 0x00, 0x08, 0x04, 0x43, 0x11, 0x00, 0x4d, 0x11, 0x00, 0x59, 0x11,
    0x00, 0x4b, 0x11, 0x00, 0xff, 0xc4, 0x00, 0x15, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x0a, 0xff, 0xc4, 0x00,
    0x14, 0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xda, 0x00, 0x0e, 0x04, 0x43, 0x00, 0x4d, 0x00, 0x59, 0x00,
    0x4b, 0x00, 0x00, 0x3f, 0x00, 0x7f, 0x13, 0xfe, 0x9f, 0xf3, 0xf8, 0xff, 0xd9};

// Runs f and returns the DecodeError's message ("" if nothing was thrown).
template <typename F>
std::string decode_error(F&& f) {
  try {
    f();
  } catch (const DecodeError& e) {
    return e.what();
  }
  return "";
}

TEST(Decode, PngRoundTripIsExactInEveryColorMode) {
  TempDir dir;
  const Image rgb = testing::colourised(0, 20, 30);
  write_png(dir / "rgb.png", rgb);
  EXPECT_EQ(read_image(dir / "rgb.png"), rgb);
  EXPECT_EQ(read_image(dir / "rgb.png", ColorMode::keep), rgb);
  const Image gray = read_image(dir / "rgb.png", ColorMode::gray);
  EXPECT_EQ(gray.channels, 1);
  EXPECT_EQ(gray.height, 20);
  EXPECT_EQ(gray.width, 30);
}

TEST(Decode, GrayscaleIsKeptOrExpanded) {
  TempDir dir;
  const Image gray = testing::fashion_test().load(3);
  write_png(dir / "gray.png", gray);
  EXPECT_EQ(read_image(dir / "gray.png", ColorMode::keep), gray);
  EXPECT_EQ(read_image(dir / "gray.png", ColorMode::gray), gray);
  const Image rgb = read_image(dir / "gray.png", ColorMode::rgb);
  ASSERT_EQ(rgb.channels, 3);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(rgb.at(14, 9, c), gray.at(14, 9, 0));
}

TEST(Decode, AlphaIsDropped) {
  TempDir dir;
  const uint8_t rgba[2 * 2 * 4] = {10, 20, 30, 0,   40,  50,  60,  128,
                                   70, 80, 90, 255, 100, 110, 120, 7};
  ASSERT_NE(stbi_write_png((dir / "rgba.png").c_str(), 2, 2, 4, rgba, 8), 0);
  const Image image = read_image(dir / "rgba.png", ColorMode::keep);
  ASSERT_EQ(image.channels, 3);
  EXPECT_EQ(image.pixels,
            (std::vector<uint8_t>{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120}));
  const uint8_t gray_alpha[2 * 2] = {200, 9, 100, 255};  // 2x1 gray + alpha
  ASSERT_NE(stbi_write_png((dir / "ga.png").c_str(), 2, 1, 2, gray_alpha, 4), 0);
  const Image ga = read_image(dir / "ga.png", ColorMode::keep);
  EXPECT_EQ(ga.channels, 1);
  EXPECT_EQ(ga.pixels, (std::vector<uint8_t>{200, 100}));
}

TEST(Decode, SixteenBitPngKeepsTheHighByte) {
  TempDir dir;
  testing::write_png16(dir / "deep.png", 1, 3, {0x1234, 0xFFFF, 0x00FF});
  const Image image = read_image(dir / "deep.png", ColorMode::keep);
  EXPECT_EQ(image.channels, 1);
  EXPECT_EQ(image.pixels, (std::vector<uint8_t>{0x12, 0xFF, 0x00}));
}

TEST(Decode, JpegAndBmpDecode) {
  TempDir dir;
  const Image rgb = testing::colourised(5, 40, 48);
  write_bmp(dir / "x.bmp", rgb);
  EXPECT_EQ(read_image(dir / "x.bmp"), rgb);  // BMP is lossless
  write_jpeg(dir / "x.jpg", rgb, 95);
  const Image jpeg = read_image(dir / "x.jpg");
  ASSERT_EQ(jpeg.pixels.size(), rgb.pixels.size());
  double error = 0;
  for (size_t i = 0; i < rgb.pixels.size(); ++i) error += std::abs(jpeg.pixels[i] - rgb.pixels[i]);
  EXPECT_LT(error / rgb.pixels.size(), 4.0);  // lossy, but close at quality 95
}

TEST(Decode, AdobeCmykJpegBecomesRgb) {
  const Image image = decode_image(kCmykRedJpeg, "cmyk.jpg");
  ASSERT_EQ(image.channels, 3);
  EXPECT_NEAR(image.at(4, 4, 0), 255, 2);
  EXPECT_NEAR(image.at(4, 4, 1), 0, 2);
  EXPECT_NEAR(image.at(4, 4, 2), 0, 2);
}

TEST(Decode, CmykWithoutAdobeMarkerIsRefused) {
  std::vector<uint8_t> bytes = kCmykRedJpeg;
  bytes[6] = 'X';  // "Adobe" -> "Xdobe": the colour transform is no longer known
  const std::string message = decode_error([&] { decode_image(bytes, "shop/cmyk.jpg"); });
  EXPECT_NE(message.find("shop/cmyk.jpg"), std::string::npos) << message;
  EXPECT_NE(message.find("CMYK"), std::string::npos) << message;
}

TEST(Decode, BadFilesThrowDecodeErrorNamingThePath) {
  TempDir dir;
  write_jpeg(dir / "good.jpg", testing::colourised(1, 32, 32));
  std::vector<uint8_t> jpeg = testing::read_bytes(dir / "good.jpg");
  testing::write_bytes(dir / "truncated.jpg", {jpeg.begin(), jpeg.begin() + jpeg.size() * 2 / 3});
  write_png(dir / "good.png", testing::colourised(2, 32, 32));
  std::vector<uint8_t> png = testing::read_bytes(dir / "good.png");
  testing::write_bytes(dir / "truncated.png", {png.begin(), png.begin() + png.size() / 2});
  write_bmp(dir / "good.bmp", testing::colourised(3, 16, 16));
  std::vector<uint8_t> bmp = testing::read_bytes(dir / "good.bmp");
  testing::write_bytes(dir / "truncated.bmp", {bmp.begin(), bmp.begin() + bmp.size() / 2});
  std::vector<uint8_t> corrupt = jpeg;
  for (size_t i = 20; i < corrupt.size(); ++i) corrupt[i] = static_cast<uint8_t>(i * 7);
  testing::write_bytes(dir / "corrupt.jpg", corrupt);
  testing::write_bytes(dir / "empty.png", {});
  testing::write_bytes(dir / "text.jpg", {'h', 'e', 'l', 'l', 'o'});
  testing::write_bytes(dir / "anim.png", {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0});

  const std::pair<const char*, const char*> cases[] = {{"truncated.jpg", "truncated"},
                                                       {"truncated.png", "corrupt"},
                                                       {"truncated.bmp", "truncated"},
                                                       {"corrupt.jpg", "corrupt"},
                                                       {"empty.png", "empty file"},
                                                       {"text.jpg", "not a JPEG, PNG or BMP"},
                                                       {"anim.png", "not a JPEG, PNG or BMP"},
                                                       {"missing.jpg", "cannot open"}};
  for (const auto& [name, expected] : cases) {
    const std::string message = decode_error([&] { read_image(dir / name); });
    EXPECT_NE(message.find((dir / name).string()), std::string::npos) << name << ": " << message;
    EXPECT_NE(message.find(expected), std::string::npos) << name << ": " << message;
  }
  EXPECT_NO_THROW(read_image(dir / "good.jpg"));
}

TEST(Decode, SniffsFormatsByContent) {
  EXPECT_EQ(sniff_format(kCmykRedJpeg), ImageFormat::jpeg);
  const std::vector<uint8_t> bmp = {'B', 'M', 0, 0};
  EXPECT_EQ(sniff_format(bmp), ImageFormat::bmp);
  const std::vector<uint8_t> text = {'a', 'b', 'c'};
  EXPECT_EQ(sniff_format(text), ImageFormat::unknown);
}

}  // namespace
}  // namespace fovea::data
