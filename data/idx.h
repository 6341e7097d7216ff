#pragma once
// The IDX format of MNIST and Fashion-MNIST (LeCun et al.): a 4-byte magic number
// (0, 0, element type, number of dimensions), the sizes as big-endian uint32, then the
// elements. Files may be gzip-compressed (`*-idx3-ubyte.gz`); zlib reads both kinds.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace fovea::data {

// One IDX array of unsigned bytes (the only element type the image sets use).
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> values;
};

IdxArray read_idx(const std::filesystem::path& path);

// Images from an idx3 file ([N, H, W] bytes) and labels from an idx1 file ([N]), kept in
// memory (Fashion-MNIST's training set is 47 MB). Images are 1-channel.
class IdxDataset final : public Dataset {
 public:
  // With no class names, the classes are "0", "1", ... up to the largest label.
  IdxDataset(const std::filesystem::path& images, const std::filesystem::path& labels,
             std::vector<std::string> class_names = {});

  int64_t size() const override { return count_; }
  int64_t label(int64_t index) const override;
  Image load(int64_t index) const override;
  const std::vector<std::string>& classes() const override { return classes_; }
  std::string source(int64_t index) const override;
  int height() const { return height_; }
  int width() const { return width_; }

 private:
  std::string images_path_;
  int64_t count_ = 0;
  int height_ = 0, width_ = 0;
  std::vector<uint8_t> pixels_;
  std::vector<uint8_t> labels_;
  std::vector<std::string> classes_;
};

// Debian's dataset-fashion-mnist installs the four files here.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// The ten Fashion-MNIST classes, in label order ("T-shirt/top", "Trouser", ...).
const std::vector<std::string>& fashion_mnist_classes();

// Fashion-MNIST's "train" (60,000) or "test" (10,000) split from `dir`, reading
// `<split prefix>-images-idx3-ubyte[.gz]` and the matching labels.
std::shared_ptr<IdxDataset> fashion_mnist(const std::string& split,
                                          const std::filesystem::path& dir = kFashionMnistDir);

// Per-channel mean and standard deviation of Fashion-MNIST's training images in [0, 1].
inline constexpr float kFashionMnistMean = 0.2860f;
inline constexpr float kFashionMnistStd = 0.3530f;

}  // namespace fovea::data
