#include "data/mixup.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace fovea::data {

MixDecision draw_mix(const MixupOptions& options, int height, int width, Rng& rng) {
  MixDecision mix;
  const bool mixup = options.mixup_alpha > 0.0, cutmix = options.cutmix_alpha > 0.0;
  if ((!mixup && !cutmix) || rng.uniform() >= options.probability) return mix;
  mix.cutmix = cutmix && (!mixup || rng.uniform() < options.switch_probability);
  const double alpha = mix.cutmix ? options.cutmix_alpha : options.mixup_alpha;
  mix.lam = rng.beta(alpha, alpha);
  if (!mix.cutmix) return mix;
  const double ratio = std::sqrt(1.0 - mix.lam);
  const int cut_h = static_cast<int>(height * ratio), cut_w = static_cast<int>(width * ratio);
  const int cy = static_cast<int>(rng.integer(0, height));
  const int cx = static_cast<int>(rng.integer(0, width));
  mix.top = std::clamp(cy - cut_h / 2, 0, height);
  mix.bottom = std::clamp(cy + cut_h / 2, 0, height);
  mix.left = std::clamp(cx - cut_w / 2, 0, width);
  mix.right = std::clamp(cx + cut_w / 2, 0, width);
  const double box = static_cast<double>(mix.bottom - mix.top) * (mix.right - mix.left);
  mix.lam = 1.0 - box / (static_cast<double>(height) * width);
  return mix;
}

void apply_mix(const MixDecision& mix, float* images, int batch, int height, int width,
               int channels) {
  if (mix.lam == 1.0) return;
  const size_t sample = static_cast<size_t>(height) * width * channels;
  const float lam = static_cast<float>(mix.lam);
  // Pairs (i, B-1-i) are mixed together from their original values; the middle sample
  // of an odd batch mixes with itself and stays as it is.
  for (int i = 0; i < batch / 2; ++i) {
    float* a = images + i * sample;
    float* b = images + (batch - 1 - i) * sample;
    if (mix.cutmix) {
      const size_t row = static_cast<size_t>(mix.right - mix.left) * channels;
      for (int y = mix.top; y < mix.bottom; ++y) {
        const size_t offset = (static_cast<size_t>(y) * width + mix.left) * channels;
        std::swap_ranges(a + offset, a + offset + row, b + offset);
      }
    } else {
      for (size_t k = 0; k < sample; ++k) {
        const float va = a[k], vb = b[k];
        a[k] = lam * va + (1.0f - lam) * vb;
        b[k] = lam * vb + (1.0f - lam) * va;
      }
    }
  }
}

void mixed_targets(const MixDecision& mix, const int64_t* labels, int batch, int num_classes,
                   double label_smoothing, float* targets) {
  const double off = label_smoothing / num_classes, on = 1.0 - label_smoothing + off;
  for (int i = 0; i < batch; ++i) {
    float* row = targets + static_cast<size_t>(i) * num_classes;
    for (int k = 0; k < num_classes; ++k) {
      const double own = labels[i] == k ? on : off;
      const double partner = labels[batch - 1 - i] == k ? on : off;
      row[k] = static_cast<float>(mix.lam * own + (1.0 - mix.lam) * partner);
    }
  }
}

}  // namespace fovea::data
