#include "train/checkpoint.h"

#include <nlohmann/json.hpp>

#include "engine/safetensors.h"

namespace fovea::train {

namespace {

constexpr const char* kStateKey = "fovea.state";

TensorMap with_prefix(const std::string& prefix, const TensorMap& tensors) {
  TensorMap out;
  for (const auto& [name, tensor] : tensors) out[prefix + name] = tensor;
  return out;
}

TensorMap strip_prefix(const std::string& prefix, const TensorMap& tensors) {
  TensorMap out;
  for (const auto& [name, tensor] : tensors) {
    if (name.rfind(prefix, 0) == 0) out[name.substr(prefix.size())] = tensor;
  }
  return out;
}

}  // namespace

void save_checkpoint(const std::string& path, const Module& model, const Optimizer& optimizer,
                     const ModelEma* ema, const TrainProgress& p) {
  TensorMap tensors = with_prefix("model.", model.state_dict());
  for (auto& entry : with_prefix("optimizer.", optimizer.state_dict())) tensors.insert(entry);
  if (ema) {
    for (auto& entry : with_prefix("ema.", ema->state())) tensors.insert(entry);
  }
  const nlohmann::json state = {
      {"epoch", p.epoch},
      {"batch", p.batch},
      {"global_step", p.global_step},
      {"rng_seed", p.rng.seed},
      {"rng_offset", p.rng.offset},
      {"schedule", p.schedule_state},
      {"loss_scale", p.loss_scale},
      {"scaler_good_steps", p.scaler_good_steps},
      {"skipped_steps", p.skipped_steps},
      {"best_value", p.best_value},
      {"best_epoch", p.best_epoch},
      {"bad_epochs", p.bad_epochs},
      {"epoch_loss_sum", p.epoch_loss_sum},
      {"epoch_correct", p.epoch_correct},
      {"epoch_samples", p.epoch_samples},
      {"epoch_seconds", p.epoch_seconds},
      {"config", p.config_yaml},
  };
  save_safetensors(path, tensors, {{kStateKey, state.dump()}});
}

TrainProgress load_checkpoint(const std::string& path, Module& model, Optimizer& optimizer,
                              ModelEma* ema) {
  const SafetensorsFile file = load_safetensors(path);
  auto found = file.metadata.find(kStateKey);
  FOVEA_CHECK(found != file.metadata.end(),
              "checkpoint '{}' has no training state (is it a weights file rather than "
              "checkpoint.safetensors?)",
              path);
  model.load_state_dict(strip_prefix("model.", file.tensors));
  optimizer.load_state_dict(strip_prefix("optimizer.", file.tensors));
  if (ema) ema->load_state(strip_prefix("ema.", file.tensors));
  const nlohmann::json s = nlohmann::json::parse(found->second);
  TrainProgress p;
  p.epoch = s.at("epoch");
  p.batch = s.at("batch");
  p.global_step = s.at("global_step");
  p.rng = {s.at("rng_seed"), s.at("rng_offset")};
  p.schedule_state = s.at("schedule");
  p.loss_scale = s.at("loss_scale");
  p.scaler_good_steps = s.at("scaler_good_steps");
  p.skipped_steps = s.at("skipped_steps");
  p.best_value = s.at("best_value");
  p.best_epoch = s.at("best_epoch");
  p.bad_epochs = s.at("bad_epochs");
  p.epoch_loss_sum = s.at("epoch_loss_sum");
  p.epoch_correct = s.at("epoch_correct");
  p.epoch_samples = s.at("epoch_samples");
  p.epoch_seconds = s.at("epoch_seconds");
  p.config_yaml = s.at("config");
  return p;
}

}  // namespace fovea::train
