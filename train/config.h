#pragma once
// The training configuration: what a YAML file in configs/ (or a seed-style INI file)
// says, with every default filled in. Every key is declared once, on one line of
// train/config_fields.h with its default, its valid range and its help text; the
// defaults below, loading, validation, `--set` overrides, config.yaml and
// `fovea train --help-config` all walk that one list, so a key can never be known to one
// of them and not the others. Choices are enums by the time a config has loaded
// (train/config_choices.h).
#include <cstdint>
#include <string>
#include <vector>

#include "train/config_choices.h"

namespace fovea::train {

// Each section's default constructor fills in the defaults from train/config_fields.h,
// so `TrainingSection t;` holds the same values a config file that omits them does.
struct ModelSection {
  ModelSection();
  std::string name;
  std::string pretrained;
  int64_t num_classes;
  double drop_rate;
  double drop_path_rate;
  std::vector<std::string> freeze;
  int64_t freeze_layers;
  bool freeze_backbone;
  bool grad_checkpointing;
};

struct DataSection {
  DataSection();
  DatasetKind dataset;
  std::string root;
  std::string train_split;
  std::string val_split;
  std::string test_split;
  double val_fraction;
  int64_t img_size;
  int64_t in_chans;
  bool augment;
  std::vector<double> crop_scale;
  double crop_fraction;
  double hflip;
  double vflip;
  double rotation;
  double color_jitter;
  std::string randaugment;
  double random_erasing;
  double clahe;
  double mixup;
  double cutmix;
  Normalize normalize;
  data::SamplerKind sampler;
  int64_t workers;
  int64_t max_train_samples;
  int64_t max_eval_samples;
};

struct EarlyStopping {
  std::string monitor;
  MonitorMode mode;
  int64_t patience;
};

struct TrainingSection {
  TrainingSection();
  int64_t epochs;
  int64_t batch_size;
  OptimizerKind optimizer;
  double lr;
  double weight_decay;
  double momentum;
  bool nesterov;
  double beta1;
  double beta2;
  double eps;
  bool decay_norm_and_bias;
  double layer_decay;
  ScheduleKind schedule;
  double warmup_epochs;
  int64_t warmup_steps;
  double warmup_lr;
  double min_lr;
  int64_t step_epochs;
  std::vector<int64_t> milestones;
  double gamma;
  int64_t plateau_patience;
  LossKind loss;
  double label_smoothing;
  double focal_gamma;
  double focal_alpha;
  ClassWeighting class_weights;
  std::vector<double> class_weight_values;
  int64_t accumulation_steps;
  double clip_grad_norm;
  Amp amp;
  bool ema;
  double ema_decay;
  bool ema_eval;
  EarlyStopping early_stopping;
  uint64_t seed;
  bool deterministic;
  DeviceChoice device;
};

struct OutputSection {
  OutputSection();
  std::string dir;
  std::string run_name;
  int64_t checkpoint_every_steps;
};

struct TrainConfig {
  ModelSection model;
  DataSection data;
  TrainingSection training;
  OutputSection output;
};

// Loads a YAML (.yaml/.yml) or INI (.ini/.cfg) file over the defaults. Errors name the
// file, the line, the key, what was expected (the choices, for a choice), and for unknown
// keys the closest known one.
TrainConfig load_config(const std::string& path);
// Applies "section.key=value" (the value is read as YAML: 3e-4, [a, b], true).
void apply_override(TrainConfig& config, const std::string& assignment);
// Cross-field checks (e.g. data.root for folder datasets, warmup shorter than training).
void validate(const TrainConfig& config);
// The whole configuration, every default filled in, as YAML with each key's help as a
// comment (or without, for comparing two configurations: --resume checks that a help
// text edited since is no change); load_config reads it back to the same configuration.
enum class YamlHelp { comments, none };
std::string to_yaml(const TrainConfig& config, YamlHelp help = YamlHelp::comments);
// Every key path, for documentation and suggestions.
std::vector<std::string> config_keys();
// Every key with its default, its range or choices and its help, by section: the text of
// `fovea train --help-config`.
std::string config_help();

}  // namespace fovea::train
