#pragma once
// The order in which an epoch visits a dataset. Each order is a pure function of
// (seed, epoch), so epoch e is the same whether or not the run was interrupted before it.
//   sequential:     0, 1, 2, ... (evaluation)
//   shuffle:        a Fisher-Yates permutation drawn with Philox
//   class_balanced: `samples` draws with replacement, each sample weighted by
//                   1 / (size of its class), like torch's WeightedRandomSampler with those
//                   weights: a class is picked uniformly among the non-empty ones, then a
//                   sample uniformly within it (the same distribution, in O(1) per draw)
#include <cstdint>
#include <string>
#include <vector>

namespace fovea::data {

class Dataset;

enum class SamplerKind { sequential, shuffle, class_balanced };

// "sequential", "shuffle" or "class_balanced".
SamplerKind parse_sampler(const std::string& name);

class Sampler {
 public:
  // `samples` is the epoch length for class_balanced (0: the dataset size).
  Sampler(SamplerKind kind, const Dataset& dataset, uint64_t seed, int64_t samples = 0);

  std::vector<int64_t> order(uint64_t epoch) const;
  int64_t size() const { return samples_; }
  SamplerKind kind() const { return kind_; }

 private:
  SamplerKind kind_;
  uint64_t seed_;
  int64_t dataset_size_;
  int64_t samples_;
  std::vector<std::vector<int64_t>> members_;  // class_balanced: sample indices per non-empty class
};

}  // namespace fovea::data
