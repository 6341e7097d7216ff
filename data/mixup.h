#pragma once
// Mixup (Zhang et al., 2018) and CutMix (Yun et al., 2019) at batch level, as timm's
// Mixup(mode="batch") does them: one mixing weight lam ~ Beta(alpha, alpha) per batch,
// and sample i is mixed with sample B-1-i (the batch flipped).
//   mixup:  x_i = lam x_i + (1 - lam) x_{B-1-i}
//   cutmix: a box of side sqrt(1 - lam) times the image side, centred uniformly, is
//           copied from x_{B-1-i}; lam is then corrected to 1 - box area / image area.
// Targets are soft: lam * onehot(y_i) + (1 - lam) * onehot(y_{B-1-i}), where the one-hots
// carry label smoothing (1 - s + s/K on the class, s/K elsewhere).
#include <cstdint>

#include "data/random.h"

namespace fovea::data {

struct MixupOptions {
  double mixup_alpha = 0.8;         // 0 disables mixup
  double cutmix_alpha = 1.0;        // 0 disables cutmix
  double probability = 1.0;         // chance that a batch is mixed at all
  double switch_probability = 0.5;  // with both enabled: chance of cutmix over mixup
  double label_smoothing = 0.1;
};

// What was drawn for one batch.
struct MixDecision {
  bool cutmix = false;
  double lam = 1.0;                              // 1: the batch is left as it is
  int top = 0, bottom = 0, left = 0, right = 0;  // cutmix box (rows/cols [top, bottom))
};

MixDecision draw_mix(const MixupOptions& options, int height, int width, Rng& rng);

// Mixes images [batch, height, width, channels] in place.
void apply_mix(const MixDecision& mix, float* images, int batch, int height, int width,
               int channels);

// Soft targets [batch, num_classes] for `labels` under `mix` (label smoothing included).
void mixed_targets(const MixDecision& mix, const int64_t* labels, int batch, int num_classes,
                   double label_smoothing, float* targets);

}  // namespace fovea::data
