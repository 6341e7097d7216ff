#pragma once
// Writing a packed cache (data/packed_dataset.h) from an ImageFolder: every image is
// decoded once, in parallel, resized so that its short side (or with max_side its long
// side) equals `size`, and appended in dataset order. Unreadable files are skipped and
// counted, as the loader would skip them.
//
// Interrupting is safe: the pack is written to images.u8.tmp and index.bin.tmp; only when
// both are complete is the old index removed, then images.u8.tmp and index.bin.tmp are
// renamed into place. A folder without index.bin is never read as a pack, so a rerun
// after any interruption simply starts over.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "data/image_folder.h"
#include "data/resize.h"

namespace fovea::data {

struct PackOptions {
  int size = 160;
  bool max_side = false;
  Interpolation interpolation = Interpolation::bilinear;
  int threads = 0;  // 0: every OpenMP thread
  // Called after each chunk with (images done, total).
  std::function<void(int64_t, int64_t)> progress{};
};

struct PackResult {
  int64_t packed = 0;
  std::vector<std::string> skipped;  // the reason for each unreadable file (names it)
  uint64_t bytes = 0;
};

// The image a pack stores for `image` (also what the round-trip test compares against).
Image pack_resize(const Image& image, const PackOptions& options);

PackResult pack_dataset(const Dataset& dataset, const std::filesystem::path& destination,
                        const PackOptions& options);

}  // namespace fovea::data
