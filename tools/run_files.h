#pragma once
// Opening a finished run for evaluation and prediction: its config.yaml, its weights, the
// model they fit, and the data the config names (or another dataset).
#include <string>

#include "models/model.h"
#include "train/config.h"
#include "train/data_setup.h"

namespace fovea::tools {

struct OpenedRun {
  train::TrainConfig config;
  ModelPtr model;           // weights loaded, eval mode
  train::RunData data;      // loaders for train/val/test
  std::string weights_path;
};

// `weights`: a .safetensors file (its folder must hold config.yaml unless `config_path` is
// given) or a run folder (best_model.safetensors is used). `data_override`: "" keeps the
// config's data; "default" is Fashion-MNIST; anything else is an ImageFolder root.
OpenedRun open_run(const std::string& weights, const std::string& config_path,
                   const std::string& data_override);

}  // namespace fovea::tools
