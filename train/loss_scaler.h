#pragma once
// Dynamic loss scaling for f16 training (Micikevicius et al., 2018), as torch.cuda.amp's
// GradScaler: the loss is multiplied by `scale` before backward so small gradients stay
// representable in f16; a step whose gradients are not finite is skipped and the scale
// halved; after `growth_interval` good steps in a row the scale doubles.
#include <cmath>
#include <cstdint>

namespace fovea::train {

class LossScaler {
 public:
  explicit LossScaler(bool enabled, double initial_scale = 65536.0, int64_t growth_interval = 2000)
      : enabled_(enabled),
        scale_(enabled ? initial_scale : 1.0),
        growth_interval_(growth_interval) {}

  bool enabled() const { return enabled_; }
  double scale() const { return scale_; }
  // Call with the (scaled) gradient norm after backward; returns whether to step.
  bool update(double scaled_grad_norm) {
    if (!enabled_) return std::isfinite(scaled_grad_norm);
    if (!std::isfinite(scaled_grad_norm)) {
      scale_ *= 0.5;
      good_steps_ = 0;
      ++skipped_;
      return false;
    }
    if (++good_steps_ == growth_interval_) {
      scale_ *= 2.0;
      good_steps_ = 0;
    }
    return true;
  }
  int64_t skipped_steps() const { return skipped_; }
  int64_t good_steps() const { return good_steps_; }
  void restore(double scale, int64_t good_steps, int64_t skipped) {
    scale_ = scale;
    good_steps_ = good_steps;
    skipped_ = skipped;
  }

 private:
  bool enabled_;
  double scale_;
  int64_t growth_interval_;
  int64_t good_steps_ = 0;
  int64_t skipped_ = 0;
};

}  // namespace fovea::train
