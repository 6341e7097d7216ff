#include "data/sampler.h"

#include <numeric>

#include "data/dataset.h"
#include "data/random.h"
#include "kernels/error.h"

namespace fovea::data {

namespace {
constexpr uint32_t kShuffleStream = 0xF003;
constexpr uint32_t kBalancedStream = 0xF004;
}  // namespace

SamplerKind parse_sampler(const std::string& name) {
  if (name == "sequential") return SamplerKind::sequential;
  if (name == "shuffle") return SamplerKind::shuffle;
  if (name == "class_balanced") return SamplerKind::class_balanced;
  fail("unknown sampler '{}': expected sequential, shuffle or class_balanced", name);
}

Sampler::Sampler(SamplerKind kind, const Dataset& dataset, uint64_t seed, int64_t samples)
    : kind_(kind), seed_(seed), dataset_size_(dataset.size()) {
  FOVEA_CHECK(dataset_size_ > 0, "Sampler: the dataset is empty");
  FOVEA_CHECK(samples >= 0, "Sampler: samples per epoch must be >= 0, got {}", samples);
  samples_ = kind == SamplerKind::class_balanced && samples > 0 ? samples : dataset_size_;
  if (kind == SamplerKind::class_balanced) {
    std::vector<std::vector<int64_t>> by_class(static_cast<size_t>(dataset.num_classes()));
    for (int64_t i = 0; i < dataset_size_; ++i) by_class.at(dataset.label(i)).push_back(i);
    for (auto& members : by_class) {
      if (!members.empty()) members_.push_back(std::move(members));
    }
  }
}

std::vector<int64_t> Sampler::order(uint64_t epoch) const {
  switch (kind_) {
    case SamplerKind::sequential: {
      std::vector<int64_t> order(static_cast<size_t>(dataset_size_));
      std::iota(order.begin(), order.end(), int64_t{0});
      return order;
    }
    case SamplerKind::shuffle:
      return seeded_permutation(dataset_size_, seed_, epoch, kShuffleStream);
    case SamplerKind::class_balanced: {
      Rng rng({.seed = seed_, .epoch = epoch, .index = 0}, kBalancedStream);
      const auto classes = static_cast<int64_t>(members_.size());
      std::vector<int64_t> order(static_cast<size_t>(samples_));
      for (int64_t& index : order) {
        const auto& members = members_[rng.integer(0, classes)];
        index = members[rng.integer(0, static_cast<int64_t>(members.size()))];
      }
      return order;
    }
  }
  return {};
}

}  // namespace fovea::data
