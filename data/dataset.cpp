#include "data/dataset.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "data/random.h"
#include "kernels/error.h"

namespace fovea::data {

namespace {
// Philox streams of the dataset helpers (transforms use their pipeline position).
constexpr uint32_t kSplitStream = 0xF001;
}  // namespace

ScaledImage Dataset::load_for(int64_t index, const DecodeNeedFn&) const {
  return ScaledImage::unscaled(load(index));
}

std::vector<int64_t> Dataset::labels() const {
  std::vector<int64_t> out(static_cast<size_t>(size()));
  for (int64_t i = 0; i < size(); ++i) out[i] = label(i);
  return out;
}

std::vector<int64_t> Dataset::class_counts() const {
  std::vector<int64_t> counts(static_cast<size_t>(num_classes()), 0);
  for (int64_t i = 0; i < size(); ++i) ++counts.at(static_cast<size_t>(label(i)));
  return counts;
}

SubsetDataset::SubsetDataset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices)
    : base_(std::move(base)), indices_(std::move(indices)) {
  FOVEA_CHECK(base_ != nullptr, "SubsetDataset: the base dataset is null");
  for (int64_t index : indices_) {
    FOVEA_CHECK(index >= 0 && index < base_->size(),
                "SubsetDataset: index {} is outside the base dataset of {} samples", index,
                base_->size());
  }
}

std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed, uint64_t epoch, uint32_t stream) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  Rng rng({.seed = seed, .epoch = epoch, .index = 0}, stream);
  for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.integer(0, i + 1)]);
  return order;
}

Split split_train_validation(const Dataset& dataset, double validation_fraction, uint64_t seed) {
  FOVEA_CHECK(validation_fraction >= 0.0 && validation_fraction < 1.0,
              "split_train_validation: the validation fraction must be in [0, 1), got {}",
              validation_fraction);
  std::vector<std::vector<int64_t>> by_class(static_cast<size_t>(dataset.num_classes()));
  for (int64_t i = 0; i < dataset.size(); ++i) by_class.at(dataset.label(i)).push_back(i);
  Split split;
  for (size_t c = 0; c < by_class.size(); ++c) {
    const auto& members = by_class[c];
    const int64_t n = static_cast<int64_t>(members.size());
    const auto held_out = static_cast<int64_t>(std::llround(validation_fraction * n));
    const std::vector<int64_t> order = seeded_permutation(n, seed, c, kSplitStream);
    for (int64_t k = 0; k < n; ++k) {
      (k < held_out ? split.validation : split.train).push_back(members[order[k]]);
    }
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.validation.begin(), split.validation.end());
  return split;
}

std::pair<std::shared_ptr<SubsetDataset>, std::shared_ptr<SubsetDataset>> train_validation_subsets(
    std::shared_ptr<const Dataset> dataset, double validation_fraction, uint64_t seed) {
  Split split = split_train_validation(*dataset, validation_fraction, seed);
  return {std::make_shared<SubsetDataset>(dataset, std::move(split.train)),
          std::make_shared<SubsetDataset>(dataset, std::move(split.validation))};
}

}  // namespace fovea::data
