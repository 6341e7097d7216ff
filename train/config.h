#pragma once
// The training configuration: what a YAML file in configs/ (or a seed-style INI file)
// says, with every default filled in. Every key is declared once, in
// visit_config_fields() (train/config_fields.cpp), with its documentation and its valid
// range; loading, validation, `--set` overrides and writing config.yaml all walk that one
// list, so a key can never be known to one of them and not the others.
#include <cstdint>
#include <string>
#include <vector>

namespace fovea::train {

struct ModelSection {
  std::string name = "simple_cnn";
  std::string pretrained;           // a fovea safetensors file; empty: random init
  int64_t num_classes = 0;          // 0: the dataset's class count
  double drop_rate = 0.0;           // dropout before the classifier
  double drop_path_rate = 0.0;      // stochastic depth
  std::vector<std::string> freeze;  // parameter-name prefixes to freeze: [stem, stages.0]
  int64_t freeze_layers = 0;        // seed 001 style: freeze the first N top-level groups
  bool freeze_backbone = false;     // train the classifier only (linear probe)
  bool grad_checkpointing = false;
};

struct DataSection {
  std::string dataset = "fashion_mnist";  // fashion_mnist | imagefolder | packed
  std::string root;  // imagefolder/packed: a folder holding train/ val/ [test/]
  std::string train_split = "train";
  std::string val_split = "val";    // missing folder: split val_fraction out of train
  std::string test_split = "test";  // missing folder: the test metrics are the val metrics
  double val_fraction = 0.1;
  int64_t img_size = 0;  // 0: the model's default (28 for logreg)
  int64_t in_chans = 0;  // 0: the dataset's channels
  bool augment = true;
  std::vector<double> crop_scale = {0.08, 1.0};  // RandomResizedCrop area range
  double crop_fraction = 0.875;  // eval: resize to img_size / crop_fraction, centre crop
  double hflip = 0.5;
  double vflip = 0.0;
  double rotation = 0.0;      // degrees, uniform in [-r, r] (the seeds use 25)
  double color_jitter = 0.0;  // brightness = contrast = saturation strength
  std::string randaugment;    // timm style, e.g. rand-m9-mstd0.5; empty: off
  double random_erasing = 0.0;
  double clahe = 0.0;                 // CLAHE clip limit; 0: off
  double mixup = 0.0;                 // mixup alpha; 0: off
  double cutmix = 0.0;                // cutmix alpha; 0: off
  std::string normalize = "dataset";  // dataset | imagenet
  std::string sampler = "shuffle";    // shuffle | class_balanced
  int64_t workers = 2;
  int64_t max_train_samples = 0;  // > 0: use only this many (quick runs and tests)
  int64_t max_eval_samples = 0;
};

struct EarlyStopping {
  std::string monitor = "val_macro_f1";  // any column of history.csv
  std::string mode = "max";              // max | min
  int64_t patience = 5;                  // 0: never stop early
};

struct TrainingSection {
  int64_t epochs = 20;
  int64_t batch_size = 32;
  std::string optimizer = "adamw";  // adamw | sgd
  double lr = 3e-4;
  double weight_decay = 0.05;
  double momentum = 0.9;                          // sgd
  bool nesterov = false;                          // sgd
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // adamw
  bool decay_norm_and_bias = false;               // false: no weight decay on norms and biases
  double layer_decay = 1.0;                       // < 1: layer-wise lr decay (ViT fine-tuning)
  std::string schedule = "cosine";                // cosine | step | multistep | plateau | constant
  double warmup_epochs = 0.0;
  int64_t warmup_steps = 0;  // overrides warmup_epochs when > 0
  double warmup_lr = 0.0;    // lr at the first warmup step, rising linearly to lr
  double min_lr = 0.0;
  int64_t step_epochs = 30;         // step: decay every N epochs
  std::vector<int64_t> milestones;  // multistep: epochs
  double gamma = 0.1;               // step, multistep, plateau: decay factor
  int64_t plateau_patience = 2;
  std::string loss = "cross_entropy";  // cross_entropy | focal | bce
  double label_smoothing = 0.0;
  double focal_gamma = 2.0;
  double focal_alpha = 0.0;                 // 0: off
  std::string class_weights = "none";       // none | balanced | given
  std::vector<double> class_weight_values;  // with class_weights: given
  int64_t accumulation_steps = 1;
  double clip_grad_norm = 0.0;  // 0: off
  std::string amp = "off";      // off | bf16 | fp16
  bool ema = false;
  double ema_decay = 0.9998;
  bool ema_eval = false;  // evaluate (and keep as best) the EMA weights
  EarlyStopping early_stopping;
  uint64_t seed = 42;
  bool deterministic = true;   // CUDA: only the algorithms cuDNN marks deterministic
  std::string device = "cpu";  // cpu | cuda | cuda:N
};

struct OutputSection {
  std::string dir;                     // empty: outputs/<run name>
  std::string run_name;                // empty: the config file's name
  int64_t checkpoint_every_steps = 0;  // 0: at the end of each epoch only
};

struct TrainConfig {
  ModelSection model;
  DataSection data;
  TrainingSection training;
  OutputSection output;
};

// What a field may hold, checked on load and on --set.
struct FieldRule {
  double min = -1e300;
  double max = 1e300;
  std::vector<std::string> choices;  // for strings; empty: any
  std::string help;
};

// Loads a YAML (.yaml/.yml) or INI (.ini/.cfg) file over the defaults. Errors name the
// file, the line, the key, what was expected, and for unknown keys the closest known one.
TrainConfig load_config(const std::string& path);
// Applies "section.key=value" (the value is read as YAML: 3e-4, [a, b], true).
void apply_override(TrainConfig& config, const std::string& assignment);
// Cross-field checks (e.g. fp16 needs CUDA, warmup shorter than training).
void validate(const TrainConfig& config);
// The whole configuration, every default filled in, as YAML.
std::string to_yaml(const TrainConfig& config);
// Every key path, for documentation and suggestions.
std::vector<std::string> config_keys();

}  // namespace fovea::train
