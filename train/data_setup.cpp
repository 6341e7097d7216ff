#include "train/data_setup.h"

#include <filesystem>

#include "data/idx.h"
#include "data/image_folder.h"
#include "data/packed_dataset.h"

namespace fovea::train {

namespace fs = std::filesystem;

namespace {

struct Splits {
  std::shared_ptr<const data::Dataset> train, val, test;
};

std::shared_ptr<const data::Dataset> open_split(const DataSection& d, const std::string& split,
                                                const std::string& class_map) {
  const fs::path folder = fs::path(d.root) / split;
  if (d.dataset == DatasetKind::packed) return std::make_shared<data::PackedDataset>(folder);
  data::ImageFolderOptions options;
  options.color = d.in_chans == 1 ? data::ColorMode::gray : data::ColorMode::rgb;
  options.class_map = class_map;
  return std::make_shared<data::ImageFolder>(folder, options);
}

Splits open_splits(const TrainConfig& config, const std::string& output_dir) {
  const DataSection& d = config.data;
  Splits s;
  if (d.dataset == DatasetKind::fashion_mnist) {
    std::tie(s.train, s.val) = data::train_validation_subsets(data::fashion_mnist("train"),
                                                              d.val_fraction, config.training.seed);
    s.test = data::fashion_mnist("test");
    return s;
  }
  FOVEA_CHECK(fs::is_directory(fs::path(d.root) / d.train_split),
              "data.root '{}' has no '{}' folder (expected {}/{}/<class>/<images>)", d.root,
              d.train_split, d.root, d.train_split);
  s.train = open_split(d, d.train_split, "");
  // Every split uses the train split's class numbering.
  const std::string class_map = (fs::path(output_dir) / "class_map.json").string();
  if (auto* folder = dynamic_cast<const data::ImageFolder*>(s.train.get())) {
    folder->write_class_map(class_map);
  }
  const std::string map_for_others = d.dataset == DatasetKind::imagefolder ? class_map : "";
  if (fs::is_directory(fs::path(d.root) / d.val_split)) {
    s.val = open_split(d, d.val_split, map_for_others);
  } else {
    std::tie(s.train, s.val) =
        data::train_validation_subsets(s.train, d.val_fraction, config.training.seed);
  }
  if (fs::is_directory(fs::path(d.root) / d.test_split))
    s.test = open_split(d, d.test_split, map_for_others);
  for (const auto* part : {s.val.get(), s.test.get()}) {
    FOVEA_CHECK(part == nullptr || part->classes() == s.train->classes(),
                "data: the splits under '{}' do not have the same classes as '{}'", d.root,
                d.train_split);
  }
  return s;
}

// A seeded subset of at most `limit` samples (0: all), for quick runs.
std::shared_ptr<const data::Dataset> limited(std::shared_ptr<const data::Dataset> dataset,
                                             int64_t limit, uint64_t seed) {
  if (!dataset || limit <= 0 || limit >= dataset->size()) return dataset;
  std::vector<int64_t> order = data::seeded_permutation(dataset->size(), seed, 0, 99);
  order.resize(static_cast<size_t>(limit));
  std::sort(order.begin(), order.end());
  return std::make_shared<data::SubsetDataset>(dataset, order);
}

// Per-channel mean and std of up to 256 training images (seeded sample), in [0, 1] units.
data::Normalization dataset_statistics(const data::Dataset& dataset, int64_t channels,
                                       uint64_t seed) {
  if (dynamic_cast<const data::IdxDataset*>(&dataset) ||
      dataset.classes() == data::fashion_mnist_classes()) {
    return {{data::kFashionMnistMean}, {data::kFashionMnistStd}};
  }
  std::vector<int64_t> order = data::seeded_permutation(dataset.size(), seed, 0, 98);
  std::vector<double> sum(channels, 0.0), square(channels, 0.0);
  double pixels = 0;
  for (size_t i = 0; i < order.size() && i < 256; ++i) {
    data::Image image;
    try {
      image = dataset.load(order[i]);
    } catch (const data::DecodeError&) {
      continue;  // the loader reports bad files
    }
    for (int64_t p = 0; p < static_cast<int64_t>(image.height) * image.width; ++p) {
      for (int64_t c = 0; c < channels; ++c) {
        const double v =
            image.pixels[p * image.channels + std::min<int64_t>(c, image.channels - 1)] / 255.0;
        sum[c] += v;
        square[c] += v * v;
      }
    }
    pixels += static_cast<double>(image.height) * image.width;
  }
  FOVEA_CHECK(pixels > 0, "data: no readable training image to compute normalisation statistics");
  data::Normalization n;
  for (int64_t c = 0; c < channels; ++c) {
    const double mean = sum[c] / pixels;
    n.mean.push_back(static_cast<float>(mean));
    n.std.push_back(
        static_cast<float>(std::sqrt(std::max(square[c] / pixels - mean * mean, 1e-12))));
  }
  return n;
}

data::PipelineSpec pipeline_spec(const DataSection& d, const RunData& run, bool train) {
  data::PipelineSpec spec;
  spec.image_size = static_cast<int>(run.img_size);
  spec.train = train;
  spec.augment = train && d.augment;
  spec.channels = static_cast<int>(run.in_chans);
  spec.crop_fraction = d.crop_fraction;
  spec.crop.scale = {d.crop_scale[0], d.crop_scale[1]};
  spec.hflip = d.hflip;
  spec.vflip = d.vflip;
  spec.rotate_degrees = d.rotation;
  spec.jitter = {
      .brightness = d.color_jitter, .contrast = d.color_jitter, .saturation = d.color_jitter};
  spec.rand_augment = d.randaugment;
  spec.clahe_clip = d.clahe;
  spec.random_erasing = d.random_erasing;
  spec.normalization = run.normalization;
  return spec;
}

std::unique_ptr<data::Loader> make_loader(const TrainConfig& config, const RunData& run,
                                          std::shared_ptr<const data::Dataset> dataset,
                                          bool train) {
  if (!dataset) return nullptr;
  const DataSection& d = config.data;
  data::LoaderOptions options;
  options.batch_size = config.training.batch_size;
  options.workers = static_cast<int>(d.workers);
  options.sampler = train ? d.sampler : data::SamplerKind::sequential;
  options.drop_last = train && dataset->size() > config.training.batch_size;
  options.seed = config.training.seed;
  if (train && (d.mixup > 0 || d.cutmix > 0)) {
    options.mixup = data::MixupOptions{.mixup_alpha = d.mixup,
                                       .cutmix_alpha = d.cutmix,
                                       .label_smoothing = config.training.label_smoothing};
  }
  return std::make_unique<data::Loader>(
      dataset, std::make_shared<data::Pipeline>(pipeline_spec(d, run, train)), options);
}

}  // namespace

RunData prepare_data(const TrainConfig& config, int64_t model_img_size,
                     const std::string& output_dir) {
  const DataSection& d = config.data;
  Splits splits = open_splits(config, output_dir);
  RunData run;
  const uint64_t seed = config.training.seed;
  run.train = limited(splits.train, d.max_train_samples, seed);
  run.val = limited(splits.val, d.max_eval_samples, seed);
  run.test = limited(splits.test, d.max_eval_samples, seed);
  run.class_names = run.train->classes();
  const bool grayscale_source = d.dataset == DatasetKind::fashion_mnist;
  run.in_chans = d.in_chans > 0 ? d.in_chans : (grayscale_source ? 1 : 3);
  run.img_size = d.img_size > 0 ? d.img_size : (grayscale_source ? 28 : model_img_size);
  run.normalization = d.normalize == Normalize::imagenet
                          ? data::imagenet_normalization()
                          : dataset_statistics(*run.train, run.in_chans, seed);
  if (run.in_chans == 1 && run.normalization.mean.size() == 3) {
    run.normalization = {{run.normalization.mean[0]}, {run.normalization.std[0]}};
  }
  run.train_loader = make_loader(config, run, run.train, /*train=*/true);
  run.val_loader = make_loader(config, run, run.val, /*train=*/false);
  run.test_loader = make_loader(config, run, run.test, /*train=*/false);
  return run;
}

}  // namespace fovea::train
