#pragma once
// An exponential moving average of the weights (timm's ModelEmaV2): after every optimizer
// step, ema = decay * ema + (1 - decay) * weights, over parameters and floating buffers
// (integer buffers are copied). Evaluating the average often beats the raw weights.
#include "layers/module.h"

namespace fovea::train {

class ModelEma {
 public:
  ModelEma(const Module& model, double decay);
  void update(const Module& model);
  // Swaps the averaged weights into `model` (and back on the second call), so the same
  // module evaluates either.
  void swap_into(Module& model);
  const TensorMap& state() const { return shadow_; }
  void load_state(const TensorMap& state);

 private:
  double decay_;
  TensorMap shadow_;
};

}  // namespace fovea::train
