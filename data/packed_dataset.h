#pragma once
// The packed cache: a whole ImageFolder decoded once, resized, and stored as raw u8 HWC
// pixels, so training reads images with a memcpy instead of a JPEG decode (the idea of
// FFCV's .beton files). A pack is a folder of two files:
//   images.u8   every image's pixels, one after another;
//   index.bin   a 64-byte header, one 24-byte record per image, then the class names:
//     header:  "FOVEAPK1", u32 version (1), u32 flags (1: --max-side), u64 count,
//              u64 classes, u64 data bytes, u32 size, u32 0, u64 names offset,
//              u64 names bytes
//     record:  u64 offset into images.u8, u32 height, u32 width, u32 channels, i32 label
//     names:   a JSON array of the class names, in label order
// All integers are little-endian. Both files are memory-mapped for reading.
// data/pack.h writes packs.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace fovea::data {

inline constexpr char kPackMagic[8] = {'F', 'O', 'V', 'E', 'A', 'P', 'K', '1'};
inline constexpr uint32_t kPackVersion = 1;
inline constexpr const char* kPackImagesFile = "images.u8";
inline constexpr const char* kPackIndexFile = "index.bin";

struct PackHeader {
  char magic[8];
  uint32_t version;
  uint32_t flags;
  uint64_t count;
  uint64_t classes;
  uint64_t data_bytes;
  uint32_t size;
  uint32_t reserved;
  uint64_t names_offset;
  uint64_t names_bytes;
};
static_assert(sizeof(PackHeader) == 64);

struct PackRecord {
  uint64_t offset;
  uint32_t height;
  uint32_t width;
  uint32_t channels;
  int32_t label;
};
static_assert(sizeof(PackRecord) == 24);

// A read-only memory mapping of a whole file.
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

class PackedDataset final : public Dataset {
 public:
  explicit PackedDataset(const std::filesystem::path& folder);

  int64_t size() const override { return static_cast<int64_t>(header_.count); }
  int64_t label(int64_t index) const override { return record(index).label; }
  Image load(int64_t index) const override;
  const std::vector<std::string>& classes() const override { return classes_; }
  std::string source(int64_t index) const override;

  const PackRecord& record(int64_t index) const;
  int size_setting() const { return static_cast<int>(header_.size); }
  bool max_side() const { return (header_.flags & 1u) != 0; }

 private:
  std::filesystem::path folder_;
  MappedFile index_;
  MappedFile images_;
  PackHeader header_{};
  const PackRecord* records_ = nullptr;
  std::vector<std::string> classes_;
};

}  // namespace fovea::data
