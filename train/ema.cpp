#include "train/ema.h"

namespace fovea::train {

ModelEma::ModelEma(const Module& model, double decay) : decay_(decay) {
  NoGradGuard no_grad;
  for (const auto& [name, tensor] : model.state_dict()) shadow_[name] = tensor.clone();
}

void ModelEma::update(const Module& model) {
  NoGradGuard no_grad;
  for (const auto& [name, current] : model.state_dict()) {
    Tensor& average = shadow_.at(name);
    if (is_floating(current.dtype())) {
      mul_(average, decay_);
      add_scaled_(average, current, 1.0 - decay_);
    } else {
      average.copy_(current);
    }
  }
}

void ModelEma::swap_into(Module& model) {
  NoGradGuard no_grad;
  TensorMap current;
  for (const auto& [name, tensor] : model.state_dict()) current[name] = tensor.clone();
  model.load_state_dict(shadow_);
  shadow_ = std::move(current);
}

void ModelEma::load_state(const TensorMap& state) {
  NoGradGuard no_grad;
  for (auto& [name, tensor] : shadow_) tensor.copy_(state.at(name));
}

}  // namespace fovea::train
