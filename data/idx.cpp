#include "data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "kernels/error.h"

namespace fovea::data {

namespace {

constexpr uint8_t kUnsignedByte = 0x08;

class GzFile {
 public:
  explicit GzFile(const std::filesystem::path& path) : path_(path.string()) {
    file_ = gzopen(path_.c_str(), "rb");
    FOVEA_CHECK(file_ != nullptr, "cannot open IDX file {}", path_);
  }
  ~GzFile() { gzclose(file_); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  void read_exactly(void* out, size_t bytes, const char* what) {
    auto* cursor = static_cast<uint8_t*>(out);
    while (bytes > 0) {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(bytes, 1u << 30));
      const int got = gzread(file_, cursor, chunk);
      if (got <= 0) {
        int code = 0;
        const char* message = gzerror(file_, &code);
        fail("{}: IDX file ends early while reading its {} ({})", path_, what,
             code != Z_OK ? message : "unexpected end of file");
      }
      cursor += got;
      bytes -= static_cast<size_t>(got);
    }
  }

 private:
  std::string path_;
  gzFile file_;
};

std::filesystem::path first_existing(const std::filesystem::path& dir, const std::string& stem) {
  for (const std::string& name : {stem + ".gz", stem}) {
    if (std::filesystem::exists(dir / name)) return dir / name;
  }
  fail("{}: neither {}.gz nor {} exists (Debian's dataset-fashion-mnist installs them in {})",
       dir.string(), stem, stem, kFashionMnistDir);
}

}  // namespace

IdxArray read_idx(const std::filesystem::path& path) {
  GzFile file(path);
  uint8_t magic[4];
  file.read_exactly(magic, 4, "magic number");
  FOVEA_CHECK(magic[0] == 0 && magic[1] == 0,
              "{}: not an IDX file (magic bytes {:02x} {:02x}, expected 00 00)", path.string(),
              magic[0], magic[1]);
  FOVEA_CHECK(magic[2] == kUnsignedByte,
              "{}: IDX element type 0x{:02x}; fovea reads unsigned bytes (0x08) only",
              path.string(), magic[2]);
  IdxArray array;
  int64_t count = 1;
  for (int d = 0; d < magic[3]; ++d) {
    uint8_t size[4];
    file.read_exactly(size, 4, "dimensions");
    const int64_t extent = (int64_t{size[0]} << 24) | (size[1] << 16) | (size[2] << 8) | size[3];
    array.dims.push_back(extent);
    count *= extent;
  }
  array.values.resize(static_cast<size_t>(count));
  file.read_exactly(array.values.data(), array.values.size(), "data");
  return array;
}

IdxDataset::IdxDataset(const std::filesystem::path& images, const std::filesystem::path& labels,
                       std::vector<std::string> class_names)
    : images_path_(images.string()), classes_(std::move(class_names)) {
  IdxArray image_array = read_idx(images);
  IdxArray label_array = read_idx(labels);
  FOVEA_CHECK(image_array.dims.size() == 3,
              "{}: expected an idx3 file of images [N, H, W], got {} dimensions", images_path_,
              image_array.dims.size());
  FOVEA_CHECK(label_array.dims.size() == 1,
              "{}: expected an idx1 file of labels [N], got {} dimensions", labels.string(),
              label_array.dims.size());
  count_ = image_array.dims[0];
  height_ = static_cast<int>(image_array.dims[1]);
  width_ = static_cast<int>(image_array.dims[2]);
  FOVEA_CHECK(label_array.dims[0] == count_, "{} holds {} images but {} holds {} labels",
              images_path_, count_, labels.string(), label_array.dims[0]);
  pixels_ = std::move(image_array.values);
  labels_ = std::move(label_array.values);
  const int largest = labels_.empty() ? -1 : *std::max_element(labels_.begin(), labels_.end());
  if (classes_.empty()) {
    for (int c = 0; c <= largest; ++c) classes_.push_back(std::to_string(c));
  }
  FOVEA_CHECK(largest < static_cast<int>(classes_.size()),
              "{}: label {} found, but only {} class names were given", labels.string(), largest,
              classes_.size());
}

int64_t IdxDataset::label(int64_t index) const {
  return labels_.at(static_cast<size_t>(index));
}

Image IdxDataset::load(int64_t index) const {
  FOVEA_CHECK(index >= 0 && index < count_, "{}: sample {} requested, the file has {}",
              images_path_, index, count_);
  Image image(height_, width_, 1);
  std::memcpy(image.pixels.data(), pixels_.data() + index * height_ * width_, image.pixels.size());
  return image;
}

std::string IdxDataset::source(int64_t index) const {
  return fmt::format("{}[{}]", images_path_, index);
}

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> classes = {
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return classes;
}

std::shared_ptr<IdxDataset> fashion_mnist(const std::string& split,
                                          const std::filesystem::path& dir) {
  FOVEA_CHECK(split == "train" || split == "test",
              "fashion_mnist: split must be 'train' or 'test', got '{}'", split);
  const std::string prefix = split == "train" ? "train" : "t10k";
  return std::make_shared<IdxDataset>(first_existing(dir, prefix + "-images-idx3-ubyte"),
                                      first_existing(dir, prefix + "-labels-idx1-ubyte"),
                                      fashion_mnist_classes());
}

}  // namespace fovea::data
