#pragma once
// Pipeline: the per-sample transforms of a training or evaluation run, built from a small
// spec (the YAML configs fill one in), in timm's order:
//   train: [CLAHE] -> channels -> RandomResizedCrop -> flips -> rotation -> colour jitter
//          -> RandAugment -> normalize -> RandomErasing
//   eval:  [CLAHE] -> channels -> resize short side to size / crop_fraction -> centre crop
//          -> normalize
// Every random step draws from its own Philox stream, Rng({seed, epoch, index}, step
// position), so a sample's result depends only on (seed, epoch, sample index): not on the
// worker that makes it, the order, or the other steps' draws.
//
// The crop and the eval resize are drawn on the image's full size and read from the
// decoded pixels, which a JPEG decoder may have shrunk as far as decode_need() allows
// (data/decode.h): the crop box means the same, and the output has the same size.
#include <functional>
#include <string>
#include <vector>

#include "data/color.h"
#include "data/geometry.h"
#include "data/normalize.h"
#include "data/random.h"
#include "data/resize.h"
#include "engine/tensor.h"
#include "kernels/dtype.h"

namespace fovea::data {

struct PipelineSpec {
  int image_size = 224;
  bool train = true;    // training transforms (false: evaluation transforms)
  bool augment = true;  // with train: random augmentation (false: eval transforms)
  int channels = 3;     // output channels: gray sources are replicated, RGB reduced
  Interpolation interpolation = Interpolation::bilinear;
  double crop_fraction = 0.875;     // eval: resize to image_size / crop_fraction, then crop
  bool random_resized_crop = true;  // train: RandomResizedCrop (false: the eval resize/crop)
  CropRange crop;
  double hflip = 0.5;
  double vflip = 0.0;
  double rotate_degrees = 0.0;  // uniform in [-d, d], bilinear, fill 0
  ColorJitter jitter;           // all zero: off
  std::string rand_augment;     // timm config such as "rand-m9-mstd0.5"; empty: off
  double clahe_clip = 0.0;      // > 0: CLAHE with this clip limit (train and eval)
  int clahe_grid = 8;
  double random_erasing = 0.0;  // probability; 0: off
  Normalization normalization = imagenet_normalization();
};

class Pipeline {
 public:
  explicit Pipeline(PipelineSpec spec);

  // The u8 steps: the sample's image before normalisation.
  Image transform(Image image, const SampleKey& key) const;
  Image transform(ScaledImage image, const SampleKey& key) const;
  // transform(), then normalisation and random erasing into out[0 .. H*W*C) (f32).
  void run(Image image, const SampleKey& key, float* out) const;
  void run(ScaledImage image, const SampleKey& key, float* out) const;

  // What the sample's resampling step (RandomResizedCrop, or the eval resize) will read of
  // an image of full size `full_size`: the same draw transform() makes. With a step before
  // it that needs every pixel at full size (CLAHE), the whole image at its full size.
  DecodeNeed decode_need(Size2 full_size, const SampleKey& key) const;
  DecodeNeedFn decode_need_for(const SampleKey& key) const;

  const PipelineSpec& spec() const { return spec_; }
  // [H, W, C] of every sample this pipeline produces.
  Shape sample_shape() const { return {spec_.image_size, spec_.image_size, spec_.channels}; }
  int64_t sample_numel() const;
  std::vector<std::string> step_names() const;

 private:
  struct Step {
    std::string name;
    std::function<Image(Image, Rng&)> apply;
    // Set, instead of `apply`, on the step that resamples the decoded image: the region it
    // reads of an image of a given full size, and the size it resamples it to.
    std::function<DecodeNeed(Size2 full_size, Rng&)> need;
    bool per_pixel = false;  // gives the same result before or after shrinking the image
  };
  PipelineSpec spec_;
  std::vector<Step> steps_;
  uint32_t erasing_stream_ = 0;
};

}  // namespace fovea::data
