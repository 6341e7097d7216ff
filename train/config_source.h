#pragma once
// Internals shared by the YAML and INI config readers (train/config.cpp, config_ini.cpp).
#include <string>

#include "train/config.h"

namespace fovea::train {

TrainConfig load_yaml_config(const std::string& path);
TrainConfig load_ini_config(const std::string& path);
// Sets the field at dotted `path` from `value_text` read as YAML; `where` prefixes errors.
void set_config_value(TrainConfig& config, const std::string& path, const std::string& value_text,
                      const std::string& where);

}  // namespace fovea::train
