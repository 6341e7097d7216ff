#pragma once
// From the config's data section to datasets and loaders: Fashion-MNIST (the built-in
// default), an ImageFolder tree (ImageNet-100, the seeds' dataset/train|val|test), or
// packed caches made by `fovea pack`.
#include <memory>
#include <string>
#include <vector>

#include "data/loader.h"
#include "train/config.h"

namespace fovea::train {

struct RunData {
  std::shared_ptr<const data::Dataset> train, val, test;  // test: null when there is none
  std::vector<std::string> class_names;
  int64_t in_chans = 3;
  int64_t img_size = 224;
  data::Normalization normalization;
  std::unique_ptr<data::Loader> train_loader;  // shuffled, augmented
  std::unique_ptr<data::Loader> val_loader;    // in order, evaluation transforms
  std::unique_ptr<data::Loader> test_loader;   // null when there is no test split

  int64_t num_classes() const { return static_cast<int64_t>(class_names.size()); }
};

// `model_img_size` is the model's default input size, used when data.img_size is 0
// (Fashion-MNIST then keeps its native 28). `output_dir` receives class_map.json.
RunData prepare_data(const TrainConfig& config, int64_t model_img_size,
                     const std::string& output_dir);

}  // namespace fovea::train
