#include "data/packed_dataset.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "kernels/error.h"

namespace fovea::data {

MappedFile::MappedFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  FOVEA_CHECK(fd >= 0, "cannot open {}: {}", path.string(), std::strerror(errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    ::close(fd);
    fail("cannot stat {}: {}", path.string(), std::strerror(errno));
  }
  size_ = static_cast<size_t>(info.st_size);
  if (size_ > 0) {
    void* mapped = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    FOVEA_CHECK(mapped != MAP_FAILED, "cannot memory-map {}: {}", path.string(),
                std::strerror(errno));
    data_ = static_cast<const uint8_t*>(mapped);
  } else {
    ::close(fd);
  }
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

PackedDataset::PackedDataset(const std::filesystem::path& folder)
    : folder_(folder),
      index_([&] {
        FOVEA_CHECK(std::filesystem::exists(folder / kPackIndexFile),
                    "{} is not a complete pack: {} is missing (an interrupted `fovea pack`? run "
                    "it again)",
                    folder.string(), kPackIndexFile);
        return folder / kPackIndexFile;
      }()),
      images_(folder / kPackImagesFile) {
  const std::string index_path = (folder_ / kPackIndexFile).string();
  FOVEA_CHECK(index_.size() >= sizeof(PackHeader), "{}: too short for a pack index ({} bytes)",
              index_path, index_.size());
  std::memcpy(&header_, index_.data(), sizeof(PackHeader));
  FOVEA_CHECK(std::memcmp(header_.magic, kPackMagic, 8) == 0, "{}: not a fovea pack index",
              index_path);
  FOVEA_CHECK(header_.version == kPackVersion, "{}: pack version {}, this fovea reads version {}",
              index_path, header_.version, kPackVersion);
  FOVEA_CHECK(sizeof(PackHeader) + header_.count * sizeof(PackRecord) <= header_.names_offset &&
                  header_.names_offset + header_.names_bytes <= index_.size(),
              "{}: truncated pack index ({} bytes for {} records)", index_path, index_.size(),
              header_.count);
  FOVEA_CHECK(images_.size() == header_.data_bytes,
              "{}: {} holds {} bytes but the index expects {}; pack again", folder_.string(),
              kPackImagesFile, images_.size(), header_.data_bytes);
  records_ = reinterpret_cast<const PackRecord*>(index_.data() + sizeof(PackHeader));
  const auto* names = reinterpret_cast<const char*>(index_.data() + header_.names_offset);
  classes_ =
      nlohmann::json::parse(names, names + header_.names_bytes).get<std::vector<std::string>>();
  FOVEA_CHECK(classes_.size() == header_.classes, "{}: {} class names for {} classes", index_path,
              classes_.size(), header_.classes);
  for (uint64_t i = 0; i < header_.count; ++i) {
    const PackRecord& r = records_[i];
    FOVEA_CHECK(
        r.offset + static_cast<uint64_t>(r.height) * r.width * r.channels <= header_.data_bytes &&
            r.label >= 0 && static_cast<uint64_t>(r.label) < header_.classes,
        "{}: record {} is inconsistent (offset {}, {}x{}x{}, label {})", index_path, i, r.offset,
        r.height, r.width, r.channels, r.label);
  }
}

const PackRecord& PackedDataset::record(int64_t index) const {
  FOVEA_CHECK(index >= 0 && index < size(), "{}: sample {} requested, the pack has {}",
              folder_.string(), index, size());
  return records_[index];
}

Image PackedDataset::load(int64_t index) const {
  const PackRecord& r = record(index);
  Image image(static_cast<int>(r.height), static_cast<int>(r.width), static_cast<int>(r.channels));
  std::memcpy(image.pixels.data(), images_.data() + r.offset, image.pixels.size());
  return image;
}

std::string PackedDataset::source(int64_t index) const {
  return fmt::format("{}[{}]", (folder_ / kPackImagesFile).string(), index);
}

}  // namespace fovea::data
