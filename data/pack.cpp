#include "data/pack.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "data/decode.h"
#include "data/packed_dataset.h"
#include "kernels/error.h"

namespace fovea::data {

namespace fs = std::filesystem;

namespace {

// Images decoded per parallel round: enough to keep every thread busy, few enough that a
// round of 256-pixel images stays within a few hundred MB.
constexpr int64_t kChunkPerThread = 32;

struct Decoded {
  std::optional<Image> image;
  std::string failure;
  std::exception_ptr error;
};

void write_or_fail(std::ofstream& out, const void* data, size_t bytes, const fs::path& path) {
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  FOVEA_CHECK(static_cast<bool>(out), "pack: cannot write {} (disk full?)", path.string());
}

}  // namespace

Image pack_resize(const Image& image, const PackOptions& options) {
  const Size2 target = scaled_size(image.height, image.width, options.size, options.max_side);
  if (target.height == image.height && target.width == image.width) return image;
  return resize(image, target.height, target.width, options.interpolation);
}

PackResult pack_dataset(const Dataset& dataset, const fs::path& destination,
                        const PackOptions& options) {
  FOVEA_CHECK(options.size > 0, "pack: --size must be positive, got {}", options.size);
  fs::create_directories(destination);
  const fs::path images_path = destination / kPackImagesFile;
  const fs::path index_path = destination / kPackIndexFile;
  const fs::path images_tmp = destination / (std::string(kPackImagesFile) + ".tmp");
  const fs::path index_tmp = destination / (std::string(kPackIndexFile) + ".tmp");

  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  const int64_t total = dataset.size();
  const int64_t chunk = kChunkPerThread * threads;
  std::ofstream images(images_tmp, std::ios::binary | std::ios::trunc);
  FOVEA_CHECK(static_cast<bool>(images), "pack: cannot create {}", images_tmp.string());
  std::vector<PackRecord> records;
  PackResult result;
  for (int64_t begin = 0; begin < total; begin += chunk) {
    const int64_t end = std::min(total, begin + chunk);
    std::vector<Decoded> decoded(static_cast<size_t>(end - begin));
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int64_t i = begin; i < end; ++i) {
      Decoded& slot = decoded[i - begin];
      try {
        slot.image = pack_resize(dataset.load(i), options);
      } catch (const DecodeError& e) {
        slot.failure = e.what();
      } catch (...) {
        slot.error = std::current_exception();
      }
    }
    for (int64_t i = begin; i < end; ++i) {
      Decoded& slot = decoded[i - begin];
      if (slot.error) std::rethrow_exception(slot.error);
      if (!slot.image) {
        result.skipped.push_back(slot.failure);
        continue;
      }
      const Image& image = *slot.image;
      records.push_back({result.bytes, static_cast<uint32_t>(image.height),
                         static_cast<uint32_t>(image.width), static_cast<uint32_t>(image.channels),
                         static_cast<int32_t>(dataset.label(i))});
      write_or_fail(images, image.pixels.data(), image.pixels.size(), images_tmp);
      result.bytes += image.pixels.size();
    }
    if (options.progress) options.progress(end, total);
  }
  images.close();
  FOVEA_CHECK(static_cast<bool>(images), "pack: cannot finish {}", images_tmp.string());
  result.packed = static_cast<int64_t>(records.size());

  const std::string names = nlohmann::json(dataset.classes()).dump();
  PackHeader header{};
  std::memcpy(header.magic, kPackMagic, sizeof(kPackMagic));
  header.version = kPackVersion;
  header.flags = options.max_side ? 1u : 0u;
  header.count = records.size();
  header.classes = dataset.classes().size();
  header.data_bytes = result.bytes;
  header.size = static_cast<uint32_t>(options.size);
  header.names_offset = sizeof(PackHeader) + records.size() * sizeof(PackRecord);
  header.names_bytes = names.size();
  {
    std::ofstream index(index_tmp, std::ios::binary | std::ios::trunc);
    FOVEA_CHECK(static_cast<bool>(index), "pack: cannot create {}", index_tmp.string());
    write_or_fail(index, &header, sizeof(header), index_tmp);
    write_or_fail(index, records.data(), records.size() * sizeof(PackRecord), index_tmp);
    write_or_fail(index, names.data(), names.size(), index_tmp);
  }
  // Commit: without index.bin the folder is not a pack, so no reader ever pairs an old
  // index with new pixels.
  fs::remove(index_path);
  fs::rename(images_tmp, images_path);
  fs::rename(index_tmp, index_path);
  return result;
}

}  // namespace fovea::data
