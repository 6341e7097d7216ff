#pragma once
// Helpers shared by the data tests: temporary folders, test images made from
// Fashion-MNIST (upscaled and colourised, so they look like small photos), and a
// hand-assembled 16-bit PNG (stb_image_write only writes 8-bit files).
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/color.h"
#include "data/decode.h"
#include "data/idx.h"
#include "data/image.h"
#include "data/resize.h"

namespace fovea::data::testing {

// A fresh folder under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "fovea-data-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Fashion-MNIST's test split, read once per test binary.
inline const IdxDataset& fashion_test() {
  static const std::shared_ptr<IdxDataset> dataset = fashion_mnist("test");
  return *dataset;
}

// Fashion-MNIST test image `index` upscaled to height x width and tinted with a colour
// that depends on the index, so every image is a distinct RGB picture.
inline Image colourised(int64_t index, int height, int width) {
  const Image gray = resize(fashion_test().load(index), height, width, Interpolation::bilinear);
  Image rgb(height, width, 3);
  const int tint[3] = {static_cast<int>(60 + 37 * index % 190),
                       static_cast<int>(200 - 53 * index % 150),
                       static_cast<int>(90 + 71 * index % 160)};
  for (size_t i = 0; i < gray.pixels.size(); ++i) {
    for (int c = 0; c < 3; ++c) {
      rgb.pixels[3 * i + c] = static_cast<uint8_t>(
          (gray.pixels[i] * tint[c] + (255 - gray.pixels[i]) * (c * 40)) / 255);
    }
  }
  return rgb;
}

inline std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// A 16-bit grayscale PNG: signature, IHDR, one zlib-compressed IDAT (filter 0 on every
// row), IEND, each chunk with its CRC-32.
inline void write_png16(const std::filesystem::path& path, int height, int width,
                        const std::vector<uint16_t>& values) {
  std::vector<uint8_t> file = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  const auto be32 = [](std::vector<uint8_t>& out, uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
  };
  const auto chunk = [&](const char* type, const std::vector<uint8_t>& payload) {
    be32(file, static_cast<uint32_t>(payload.size()));
    std::vector<uint8_t> body(type, type + 4);
    body.insert(body.end(), payload.begin(), payload.end());
    file.insert(file.end(), body.begin(), body.end());
    be32(file, static_cast<uint32_t>(crc32(0, body.data(), static_cast<uInt>(body.size()))));
  };
  std::vector<uint8_t> header;
  be32(header, width);
  be32(header, height);
  header.insert(header.end(),
                {16, 0, 0, 0, 0});  // 16-bit, grayscale, deflate, filter, no interlace
  std::vector<uint8_t> raw;
  for (int y = 0; y < height; ++y) {
    raw.push_back(0);
    for (int x = 0; x < width; ++x) {
      raw.push_back(static_cast<uint8_t>(values[y * width + x] >> 8));
      raw.push_back(static_cast<uint8_t>(values[y * width + x]));
    }
  }
  uLongf packed_size = compressBound(raw.size());
  std::vector<uint8_t> packed(packed_size);
  compress(packed.data(), &packed_size, raw.data(), raw.size());
  packed.resize(packed_size);
  chunk("IHDR", header);
  chunk("IDAT", packed);
  chunk("IEND", {});
  write_bytes(path, file);
}

// A small ImageFolder with every kind of trouble a real one has:
//   A_upper/   0.png (RGB), 1.PNG (grayscale), 2.JPEG
//   a_lower/   0.jpg, nested/1.bmp
//   b_bad/     0.jpg, 1.jpg, corrupt.jpg, truncated.jpg, zero.png, fake.png (text),
//              notes.txt (no image extension: ignored by the scan)
//   c_empty/   (no files)
// Sorted as torchvision sorts them: A_upper, a_lower, b_bad, c_empty.
struct TestTree {
  int64_t files = 11;     // files with an image extension
  int64_t bad_files = 4;  // corrupt.jpg, truncated.jpg, zero.png, fake.png
};

inline TestTree make_test_tree(const std::filesystem::path& root, int size = 40) {
  namespace fs = std::filesystem;
  for (const char* d : {"A_upper", "a_lower/nested", "b_bad", "c_empty"})
    fs::create_directories(root / d);
  write_png(root / "A_upper/0.png", colourised(0, size, size + 8));
  write_png(root / "A_upper/1.PNG", fashion_test().load(1));
  write_jpeg(root / "A_upper/2.JPEG", colourised(2, size + 4, size));
  write_jpeg(root / "a_lower/0.jpg", colourised(3, size, size));
  write_bmp(root / "a_lower/nested/1.bmp", colourised(4, size, size + 2));
  write_jpeg(root / "b_bad/0.jpg", colourised(5, size, size));
  write_jpeg(root / "b_bad/1.jpg", colourised(6, size, size));
  std::vector<uint8_t> jpeg = read_bytes(root / "b_bad/0.jpg");
  write_bytes(root / "b_bad/truncated.jpg", {jpeg.begin(), jpeg.begin() + jpeg.size() / 2});
  std::vector<uint8_t> corrupt = jpeg;
  for (size_t i = 2; i < corrupt.size(); ++i) corrupt[i] = static_cast<uint8_t>(i * 13);
  write_bytes(root / "b_bad/corrupt.jpg", corrupt);
  write_bytes(root / "b_bad/zero.png", {});
  write_bytes(root / "b_bad/fake.png",
              {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'});
  write_bytes(root / "b_bad/notes.txt", {'h', 'i'});
  return {};
}

}  // namespace fovea::data::testing
