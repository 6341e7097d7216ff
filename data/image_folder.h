#pragma once
// ImageFolder: root/<class>/**/<file>.{jpg,jpeg,png,bmp} (any case), labelled the way
// torchvision.datasets.ImageFolder labels it: the class folders sorted by name, then the
// files of each class in sorted os.walk order. It covers ImageNet-100
// (train/<wnid>/*.JPEG and val/<wnid>/*.JPEG) and the seeds' dataset/{train,val,test}.
//
// Scanning lists files and decodes none of them, so opening ImageNet takes seconds. A
// file is first decoded when it is loaded; one that fails then throws DecodeError and the
// loader skips it (data/loader.h says how its batch slot is filled).
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/decode.h"

namespace fovea::data {

struct ImageFolderOptions {
  ColorMode color = ColorMode::rgb;
  // A JSON class map {"class name": index, ...} (for instance the train split's, given to
  // the val split). Empty: the sorted class folders are the classes.
  std::filesystem::path class_map{};
  bool quiet = false;  // do not print the scan report to stderr
};

// What the scan found besides images; printed once when the folder is opened.
struct ScanReport {
  std::vector<std::string> empty_classes;            // classes with no image file
  std::vector<std::filesystem::path> ignored_files;  // files without an image extension
};

class ImageFolder final : public Dataset {
 public:
  explicit ImageFolder(const std::filesystem::path& root, ImageFolderOptions options = {});

  int64_t size() const override { return static_cast<int64_t>(samples_.size()); }
  int64_t label(int64_t index) const override { return samples_.at(index).label; }
  Image load(int64_t index) const override;
  ScaledImage load_for(int64_t index, const DecodeNeedFn& need) const override;
  const std::vector<std::string>& classes() const override { return classes_; }
  std::string source(int64_t index) const override { return path(index).string(); }

  const std::filesystem::path& path(int64_t index) const { return samples_.at(index).path; }
  const std::filesystem::path& root() const { return root_; }
  const ScanReport& report() const { return report_; }
  ColorMode color() const { return options_.color; }
  void write_class_map(const std::filesystem::path& file) const;

 private:
  struct Sample {
    std::filesystem::path path;
    int64_t label;
  };
  std::filesystem::path root_;
  ImageFolderOptions options_;
  std::vector<std::string> classes_;
  std::vector<Sample> samples_;
  ScanReport report_;
};

// True for .jpg, .jpeg, .png and .bmp in any letter case.
bool has_image_extension(const std::filesystem::path& path);

// Class maps as JSON objects {"name": index}, the shape of torchvision's class_to_idx.
void write_class_map(const std::filesystem::path& file, const std::vector<std::string>& classes);
std::vector<std::string> read_class_map(const std::filesystem::path& file);

}  // namespace fovea::data
