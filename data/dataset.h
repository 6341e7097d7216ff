#pragma once
// Dataset: a numbered collection of labelled images. Labels are cheap to ask for (the
// samplers need all of them); images are produced on demand, in any thread.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "data/image.h"

namespace fovea::data {

class Dataset {
 public:
  virtual ~Dataset() = default;

  virtual int64_t size() const = 0;
  // The class index of sample `index`, in [0, classes().size()).
  virtual int64_t label(int64_t index) const = 0;
  // Produces sample `index`. Throws DecodeError when the sample cannot be read (a bad
  // file); callers may skip it. Safe to call from several threads at once.
  virtual Image load(int64_t index) const = 0;
  // load(), for a caller that reads only `need` of the image: a dataset of image files may
  // then decode a JPEG at a reduced scale (data/decode.h). The default decodes in full.
  virtual ScaledImage load_for(int64_t index, const DecodeNeedFn& need) const;
  // The class names, in label order.
  virtual const std::vector<std::string>& classes() const = 0;
  // Where sample `index` comes from (a path, or "file[index]"), for messages.
  virtual std::string source(int64_t index) const = 0;

  int64_t num_classes() const { return static_cast<int64_t>(classes().size()); }
  std::vector<int64_t> labels() const;
  // How many samples each class has.
  std::vector<int64_t> class_counts() const;
};

// Samples `indices` of another dataset, renumbered 0..indices.size()-1.
class SubsetDataset final : public Dataset {
 public:
  SubsetDataset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices);

  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  int64_t label(int64_t index) const override { return base_->label(indices_.at(index)); }
  Image load(int64_t index) const override { return base_->load(indices_.at(index)); }
  ScaledImage load_for(int64_t index, const DecodeNeedFn& need) const override {
    return base_->load_for(indices_.at(index), need);
  }
  const std::vector<std::string>& classes() const override { return base_->classes(); }
  std::string source(int64_t index) const override { return base_->source(indices_.at(index)); }
  const std::vector<int64_t>& indices() const { return indices_; }

 private:
  std::shared_ptr<const Dataset> base_;
  std::vector<int64_t> indices_;
};

// A fixed, seeded train/validation split: from each class, round(fraction * count) samples
// chosen by a Philox shuffle keyed by `seed` go to validation, so both parts keep the class
// balance. The same seed gives the same split on every machine. Indices are ascending.
struct Split {
  std::vector<int64_t> train;
  std::vector<int64_t> validation;
};
Split split_train_validation(const Dataset& dataset, double validation_fraction, uint64_t seed);

// The two parts of split_train_validation as datasets (train first).
std::pair<std::shared_ptr<SubsetDataset>, std::shared_ptr<SubsetDataset>> train_validation_subsets(
    std::shared_ptr<const Dataset> dataset, double validation_fraction, uint64_t seed);

// A seeded Fisher-Yates permutation of 0..n-1 drawn from Rng(key, stream).
std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed, uint64_t epoch, uint32_t stream);

}  // namespace fovea::data
