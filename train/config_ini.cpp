// Seed 003's INI style:
//
//   [MODEL]
//   MODEL_ARCH = resnet50
//   [TRAINING]
//   BATCH_SIZE = 32
//   LEARNING_RATE = 0.001
//
// Each INI key maps to one YAML key; the value then goes through the same validation.
// Any fovea key also works by its own name ([training] lr = 3e-4).
#include <algorithm>
#include <fstream>
#include <map>

#include "kernels/error.h"
#include "engine/text.h"
#include "train/config_source.h"

namespace fovea::train {

namespace {

std::string trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  const size_t end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// "SECTION.KEY" in the seeds' vocabulary -> fovea's dotted key.
const std::map<std::string, std::string>& seed_keys() {
  static const std::map<std::string, std::string> table = {
      {"model.model_arch", "model.name"},
      {"model.pretrained_path", "model.pretrained"},
      {"model.num_classes", "model.num_classes"},
      {"model.dropout", "model.drop_rate"},
      {"model.freeze_layers", "model.freeze_layers"},
      {"training.batch_size", "training.batch_size"},
      {"training.learning_rate", "training.lr"},
      {"training.n_epochs", "training.epochs"},
      {"training.patience", "training.early_stopping.patience"},
      {"training.optimizer", "training.optimizer"},
      {"training.weight_decay", "training.weight_decay"},
      {"training.accumulation_steps", "training.accumulation_steps"},
      {"training.freeze_backbone", "model.freeze_backbone"},
      {"training.warmup_epochs", "training.warmup_epochs"},
      {"training.gradient_checkpointing", "model.grad_checkpointing"},
      {"training.device", "training.device"},
      {"training.label_smoothing", "training.label_smoothing"},
      {"training.seed", "training.seed"},
      {"data.data_dir", "data.root"},
      {"data.img_size", "data.img_size"},
      {"data.image_size", "data.img_size"},
      {"data.num_workers", "data.workers"},
  };
  return table;
}

// Seed names of the small CNN.
std::string model_alias(const std::string& name) {
  const std::string l = lower(name);
  return (l == "custom1" || l == "custom_1") ? "simple_cnn" : name;
}

}  // namespace

TrainConfig load_ini_config(const std::string& path) {
  std::ifstream in(path);
  FOVEA_CHECK(in, "cannot read config file '{}'", path);
  TrainConfig config;
  std::vector<std::string> known = config_keys();
  for (const auto& [seed_key, key] : seed_keys()) known.push_back(seed_key);
  std::string section, line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string where = fmt::format("{}:{}", path, number);
    line = trim(line.substr(0, line.find_first_of("#;")));
    if (line.empty()) continue;
    if (line.front() == '[') {
      FOVEA_CHECK(line.back() == ']', "{}: a section header must look like [TRAINING]", where);
      section = lower(trim(line.substr(1, line.size() - 2)));
      continue;
    }
    const size_t eq = line.find('=');
    FOVEA_CHECK(eq != std::string::npos, "{}: expected KEY = value, got '{}'", where, line);
    FOVEA_CHECK(!section.empty(), "{}: '{}' comes before any [SECTION] header", where, line);
    const std::string key = section + "." + lower(trim(line.substr(0, eq)));
    std::string value = trim(line.substr(eq + 1));
    if (key == "model.pretrained") {
      // Seeds say PRETRAINED = true and expect a download; fovea loads files only.
      FOVEA_CHECK(lower(value) == "false",
                  "{}: PRETRAINED = {} needs weights: fovea downloads "
                  "nothing; set PRETRAINED_PATH to a safetensors file made by `fovea import`",
                  where, value);
      continue;
    }
    if (key == "model.use_official_processor") {
      if (lower(value) == "true") set_config_value(config, "data.normalize", "imagenet", where);
      continue;
    }
    auto mapped = seed_keys().find(key);
    const std::string target = mapped != seed_keys().end() ? mapped->second : key;
    if (target == "model.name") value = model_alias(value);
    const std::vector<std::string> fovea_keys = config_keys();
    if (std::find(fovea_keys.begin(), fovea_keys.end(), target) == fovea_keys.end()) {
      const std::vector<std::string> close = close_matches(key, known, 1);
      fail("{}: unknown key '{}'{}", where, key,
           close.empty() ? std::string() : fmt::format("; did you mean '{}'?", close[0]));
    }
    set_config_value(config, target, value, where);
  }
  return config;
}

}  // namespace fovea::train
