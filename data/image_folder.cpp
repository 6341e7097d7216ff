#include "data/image_folder.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "kernels/error.h"

namespace fovea::data {

namespace fs = std::filesystem;

namespace {

// Python's sorted() on str compares code points; std::string compares bytes, which for
// UTF-8 is the same order.
std::vector<std::string> sorted_class_folders(const fs::path& root) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(root)) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The image files under one class folder in the order of torchvision's
// `for root, _, fnames in sorted(os.walk(dir, followlinks=True)): for f in sorted(fnames)`:
// folders sorted by their path, files sorted by name within each folder.
std::vector<fs::path> class_files(const fs::path& folder, std::vector<fs::path>& ignored) {
  std::map<std::string, std::vector<std::string>> files_by_folder;
  files_by_folder[folder.string()];
  const auto options = fs::directory_options::follow_directory_symlink;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(folder, options)) {
    if (entry.is_directory()) continue;
    if (!has_image_extension(entry.path())) {
      ignored.push_back(entry.path());
      continue;
    }
    files_by_folder[entry.path().parent_path().string()].push_back(
        entry.path().filename().string());
  }
  std::vector<fs::path> files;
  for (auto& [dir, names] : files_by_folder) {
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) files.push_back(fs::path(dir) / name);
  }
  return files;
}

void print_report(const fs::path& root, const ScanReport& report) {
  for (const std::string& name : report.empty_classes) {
    std::cerr << "fovea: warning: " << root.string() << ": class '" << name
              << "' has no .jpg/.jpeg/.png/.bmp files\n";
  }
  if (!report.ignored_files.empty()) {
    std::cerr << "fovea: warning: " << root.string() << ": ignored " << report.ignored_files.size()
              << " file(s) without an image extension, for example "
              << report.ignored_files.front().string() << "\n";
  }
}

}  // namespace

bool has_image_extension(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".jpg" || extension == ".jpeg" || extension == ".png" || extension == ".bmp";
}

ImageFolder::ImageFolder(const fs::path& root, ImageFolderOptions options)
    : root_(root), options_(std::move(options)) {
  FOVEA_CHECK(fs::is_directory(root_),
              "ImageFolder: root '{}' does not exist or is not a folder (expected "
              "root/<class>/<image files>)",
              root_.string());
  const std::vector<std::string> folders = sorted_class_folders(root_);
  FOVEA_CHECK(!folders.empty(),
              "ImageFolder: root '{}' has no class folders (expected root/<class>/<image files>)",
              root_.string());
  classes_ = options_.class_map.empty() ? folders : read_class_map(options_.class_map);
  std::map<std::string, int64_t> class_index;
  for (size_t c = 0; c < classes_.size(); ++c) class_index[classes_[c]] = static_cast<int64_t>(c);
  std::vector<int64_t> files_per_class(classes_.size(), 0);
  for (const std::string& folder : folders) {
    const auto found = class_index.find(folder);
    FOVEA_CHECK(found != class_index.end(),
                "ImageFolder: class folder '{}' in '{}' is not in the class map {}; labels "
                "would not match the map",
                folder, root_.string(), options_.class_map.string());
    for (fs::path& file : class_files(root_ / folder, report_.ignored_files)) {
      samples_.push_back({std::move(file), found->second});
      ++files_per_class[found->second];
    }
  }
  for (size_t c = 0; c < classes_.size(); ++c) {
    if (files_per_class[c] == 0) report_.empty_classes.push_back(classes_[c]);
  }
  FOVEA_CHECK(!samples_.empty(),
              "ImageFolder: no .jpg/.jpeg/.png/.bmp files under any of the {} class folders of "
              "'{}'",
              folders.size(), root_.string());
  if (!options_.quiet) print_report(root_, report_);
}

Image ImageFolder::load(int64_t index) const {
  return read_image(path(index), options_.color);
}

ScaledImage ImageFolder::load_for(int64_t index, const DecodeNeedFn& need) const {
  return read_image_for(path(index), options_.color, need);
}

void ImageFolder::write_class_map(const fs::path& file) const {
  data::write_class_map(file, classes_);
}

void write_class_map(const fs::path& file, const std::vector<std::string>& classes) {
  nlohmann::ordered_json map = nlohmann::ordered_json::object();
  for (size_t c = 0; c < classes.size(); ++c) map[classes[c]] = c;
  std::ofstream out(file);
  FOVEA_CHECK(static_cast<bool>(out), "cannot write class map {}", file.string());
  out << map.dump(2) << "\n";
  FOVEA_CHECK(static_cast<bool>(out), "cannot write class map {}", file.string());
}

std::vector<std::string> read_class_map(const fs::path& file) {
  std::ifstream in(file);
  FOVEA_CHECK(static_cast<bool>(in), "cannot open class map {}", file.string());
  nlohmann::json map;
  try {
    in >> map;
  } catch (const nlohmann::json::exception& e) {
    fail("class map {} is not valid JSON: {}", file.string(), e.what());
  }
  FOVEA_CHECK(map.is_object() && !map.empty(),
              "class map {} must be a non-empty JSON object {{\"class\": index, ...}}",
              file.string());
  std::vector<std::string> classes(map.size());
  for (const auto& [name, index] : map.items()) {
    FOVEA_CHECK(index.is_number_integer() && index.get<int64_t>() >= 0 &&
                    index.get<int64_t>() < static_cast<int64_t>(map.size()) &&
                    classes[index.get<size_t>()].empty(),
                "class map {}: class '{}' has index {}; indices must be 0..{} and each used once",
                file.string(), name, index.dump(), map.size() - 1);
    classes[index.get<size_t>()] = name;
  }
  return classes;
}

}  // namespace fovea::data
