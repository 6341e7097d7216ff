#pragma once
// The one list of configuration keys. Each key is one statement: its dotted path, the
// member it fills, its default, its rule and its help text. A visitor sees every field
// through
//
//   template <typename T>
//   void field(std::string_view path, T& value, const std::type_identity_t<T>& default_value,
//              const FieldRule& rule, std::string_view help);
//
// and the section defaults, the YAML loader, the INI loader, --set, config.yaml and
// --help-config are all visitors (train/config.cpp, train/config_help.cpp).
#include <limits>
#include <string_view>
#include <type_traits>

#include "train/config.h"

namespace fovea::train {

// The range a number (or each number of a list) must lie in, checked on load and --set.
// Strings, booleans and choices ignore it: a choice's rule is its name table.
struct FieldRule {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
};

namespace rules {
inline constexpr FieldRule kAny{};
inline constexpr FieldRule kNonNegative{.min = 0};
inline constexpr FieldRule kPositive{.min = 1};
inline constexpr FieldRule kProbability{.min = 0, .max = 1};
}  // namespace rules

template <typename Visitor>
void visit_fields(ModelSection& m, Visitor& v) {
  using namespace rules;
  v.field("model.name", m.name, "simple_cnn", kAny,
          "the architecture, by its timm name (`fovea models` lists them), e.g. resnet50");
  v.field("model.pretrained", m.pretrained, "", kAny,
          "a safetensors file with timm parameter names (`fovea import` makes one) to start "
          "from; a classifier for another class count is replaced by a fresh one; empty: random "
          "initialisation");
  v.field("model.num_classes", m.num_classes, 0, kNonNegative,
          "classifier outputs; 0: the number of classes in the training split");
  v.field("model.drop_rate", m.drop_rate, 0.0, kProbability,
          "dropout probability on the pooled features before the classifier; 0: off");
  v.field("model.drop_path_rate", m.drop_path_rate, 0.0, kProbability,
          "stochastic depth: the drop-path probability of the last block, rising linearly "
          "from 0 over the blocks; 0: off");
  v.field("model.freeze", m.freeze, {}, kAny,
          "parameter-name prefixes to freeze (no gradient, no update), e.g. [stem, stages.0]; "
          "each must match a parameter");
  v.field("model.freeze_layers", m.freeze_layers, 0, kNonNegative,
          "freeze the first N layer groups: the stem, then one group per stage (the seeds' "
          "FREEZE_LAYERS); 0: none");
  v.field("model.freeze_backbone", m.freeze_backbone, false, kAny,
          "freeze every layer group, so that only the classifier trains (a linear probe)");
  v.field("model.grad_checkpointing", m.grad_checkpointing, false, kAny,
          "recompute each block's activations in backward instead of keeping them: less "
          "memory for about one more forward pass of time");
}

template <typename Visitor>
void visit_fields(DataSection& d, Visitor& v) {
  using namespace rules;
  v.field("data.dataset", d.dataset, DatasetKind::fashion_mnist, kAny,
          "fashion_mnist: Debian's Fashion-MNIST (28x28 gray, 10 classes, no root needed); "
          "imagefolder: root/<split>/<class>/<image> folders; packed: caches made by `fovea pack`");
  v.field("data.root", d.root, "", kAny,
          "imagefolder and packed: the folder holding the split folders (train/, val/, test/)");
  v.field("data.train_split", d.train_split, "train", kAny,
          "the training split's folder under root; its classes number every split");
  v.field("data.val_split", d.val_split, "val", kAny,
          "the validation split's folder under root; when it is missing, val_fraction of the "
          "training split is held out instead");
  v.field("data.test_split", d.test_split, "test", kAny,
          "the test split's folder under root, evaluated once at the end with the best weights; "
          "when it is missing there is no test evaluation");
  v.field("data.val_fraction", d.val_fraction, 0.1, {.min = 0, .max = 0.9},
          "without a validation folder (always for fashion_mnist): the share of each class held "
          "out of the training split, chosen with training.seed");
  v.field("data.img_size", d.img_size, 0, {.min = 0, .max = 4096},
          "side of the square model input, in pixels; 0: the model's default (fashion_mnist: "
          "its native 28)");
  v.field("data.in_chans", d.in_chans, 0, {.min = 0, .max = 3},
          "input channels, 1 (gray) or 3 (RGB), to which every image is converted; 0: 1 for "
          "fashion_mnist, else 3");
  v.field("data.augment", d.augment, true, kAny,
          "random training augmentation (crop, flips, rotation, jitter, RandAugment, erasing); "
          "false: training images get the evaluation resize and centre crop");
  v.field("data.crop_scale", d.crop_scale, {0.08, 1.0}, {.min = 0.01, .max = 1},
          "RandomResizedCrop: [min, max] of the crop's area as a fraction of the image's");
  v.field("data.crop_fraction", d.crop_fraction, 0.875, {.min = 0.1, .max = 1},
          "evaluation: resize the short side to img_size / crop_fraction, then centre-crop "
          "img_size; 1: no border is cut");
  v.field("data.hflip", d.hflip, 0.5, kProbability,
          "probability of a horizontal flip of each training image");
  v.field("data.vflip", d.vflip, 0.0, kProbability,
          "probability of a vertical flip of each training image");
  v.field("data.rotation", d.rotation, 0.0, {.min = 0, .max = 180},
          "random rotation of training images, uniform in [-rotation, rotation] degrees, black "
          "fill; 0: off (the seeds use 25)");
  v.field("data.color_jitter", d.color_jitter, 0.0, kProbability,
          "colour jitter strength s: brightness, contrast and saturation factors each uniform in "
          "[1 - s, 1 + s], applied in random order; 0: off");
  v.field("data.randaugment", d.randaugment, "", kAny,
          "timm's RandAugment spec, e.g. rand-m9-mstd0.5 (m: magnitude 0-10, n: ops per image, "
          "mstd: magnitude noise); empty: off");
  v.field("data.random_erasing", d.random_erasing, 0.0, kProbability,
          "probability of timm's RandomErasing per training image: a random box of 2-33% of "
          "the area is filled with normal noise after normalisation; 0: off");
  v.field("data.clahe", d.clahe, 0.0, kNonNegative,
          "CLAHE clip limit (contrast-limited adaptive histogram equalisation on 8x8 tiles, for "
          "X-rays), on training and evaluation images; 0: off");
  v.field("data.mixup", d.mixup, 0.0, kNonNegative,
          "mixup alpha: each training batch is blended with itself reversed, weight ~ Beta(alpha, "
          "alpha), with soft targets; with cutmix as well, each batch picks one at even odds; 0: "
          "off");
  v.field("data.cutmix", d.cutmix, 0.0, kNonNegative,
          "cutmix alpha: a box of area 1 - lam, lam ~ Beta(alpha, alpha), is pasted from the "
          "reversed batch, and the targets mix by area; 0: off");
  v.field("data.normalize", d.normalize, Normalize::dataset, kAny,
          "dataset: mean and std per channel measured on up to 256 training images "
          "(fashion_mnist: its published values); imagenet: ImageNet's (for pretrained weights)");
  v.field("data.sampler", d.sampler, data::SamplerKind::shuffle, kAny,
          "shuffle: every training image once per epoch, in a seeded order; class_balanced: "
          "draws with replacement that pick each class equally often");
  v.field("data.workers", d.workers, 2, {.min = 1, .max = 256},
          "threads that decode and augment images; a batch holds the same bytes whatever the "
          "count");
  v.field("data.max_train_samples", d.max_train_samples, 0, kNonNegative,
          "train on a seeded subset of at most this many training images (quick runs, tests); "
          "0: all");
  v.field("data.max_eval_samples", d.max_eval_samples, 0, kNonNegative,
          "evaluate on a seeded subset of at most this many validation and test images; 0: all");
}

template <typename Visitor>
void visit_fields(TrainingSection& t, Visitor& v) {
  using namespace rules;
  v.field("training.epochs", t.epochs, 20, kPositive,
          "passes over the training split; the schedule spans them all");
  v.field("training.batch_size", t.batch_size, 32, kPositive,
          "images per forward pass; an epoch drops its last incomplete batch unless the split "
          "fits in one");
  v.field("training.optimizer", t.optimizer, OptimizerKind::adamw, kAny,
          "adamw: Adam with decoupled weight decay (beta1, beta2, eps); sgd: with momentum and "
          "optionally nesterov, weight decay added to the gradient");
  v.field("training.lr", t.lr, 3e-4, {.min = 0, .max = 10},
          "peak learning rate, reached after warmup; layer_decay scales it per group");
  v.field("training.weight_decay", t.weight_decay, 0.05, {.min = 0, .max = 10},
          "weight decay coefficient; see decay_norm_and_bias for which parameters it spares");
  v.field("training.momentum", t.momentum, 0.9, kProbability, "sgd: the momentum factor");
  v.field("training.nesterov", t.nesterov, false, kAny, "sgd: Nesterov momentum");
  v.field("training.beta1", t.beta1, 0.9, kProbability,
          "adamw: decay rate of the gradient's running mean");
  v.field("training.beta2", t.beta2, 0.999, kProbability,
          "adamw: decay rate of the squared gradient's running mean");
  v.field("training.eps", t.eps, 1e-8, kProbability,
          "adamw: added to the root of the squared-gradient average, against division by zero");
  v.field("training.decay_norm_and_bias", t.decay_norm_and_bias, false, kAny,
          "true: weight decay on every parameter; false (timm's habit): none on 1-D parameters "
          "(norms, biases, layer scales), position embeddings, class tokens and relative "
          "position tables");
  v.field("training.layer_decay", t.layer_decay, 1.0, kProbability,
          "layer-wise lr decay (ViT fine-tuning): block i of N trains at lr * layer_decay^(N - "
          "i), the embeddings at lr * layer_decay^(N + 1), the head at lr; 1: off");
  v.field("training.schedule", t.schedule, ScheduleKind::cosine, kAny,
          "after warmup: cosine: half a cosine from lr to min_lr over the remaining steps; step: "
          "times gamma every step_epochs; multistep: times gamma at each milestone; plateau: "
          "times gamma when the monitored metric stalls; constant: lr");
  v.field("training.warmup_epochs", t.warmup_epochs, 0.0, kNonNegative,
          "linear warmup from warmup_lr to lr over this many epochs (fractions allowed, rounded "
          "to whole optimizer steps); shorter than epochs");
  v.field("training.warmup_steps", t.warmup_steps, 0, kNonNegative,
          "the warmup in optimizer steps instead; when > 0 it replaces warmup_epochs");
  v.field("training.warmup_lr", t.warmup_lr, 0.0, kNonNegative,
          "the learning rate of the first warmup step");
  v.field("training.min_lr", t.min_lr, 0.0, kNonNegative,
          "cosine: the learning rate at the end; plateau: the floor it never goes below");
  v.field("training.step_epochs", t.step_epochs, 30, kPositive,
          "step: epochs between two decays, counted from the start");
  v.field("training.milestones", t.milestones, {}, kNonNegative,
          "multistep: epoch counts after which lr is multiplied by gamma, e.g. [30, 60]");
  v.field("training.gamma", t.gamma, 0.1, kProbability,
          "step, multistep and plateau: the factor each decay multiplies lr by");
  v.field("training.plateau_patience", t.plateau_patience, 2, kNonNegative,
          "plateau: lr decays once the monitored metric has not improved for more than this "
          "many epochs");
  v.field("training.loss", t.loss, LossKind::cross_entropy, kAny,
          "cross_entropy: with label_smoothing, class weights and mixup's soft targets; focal: "
          "focal loss (Lin et al.) with focal_gamma and focal_alpha; bce: per-class binary "
          "cross-entropy for multi-label targets [B, C], which no dataset here yields yet");
  v.field("training.label_smoothing", t.label_smoothing, 0.0, kProbability,
          "cross_entropy: the share of each target spread evenly over all classes (timm uses "
          "0.1); mixup's soft targets carry it too");
  v.field("training.focal_gamma", t.focal_gamma, 2.0, kNonNegative,
          "focal: the exponent of (1 - p) that down-weights easy samples; 0: weighted cross "
          "entropy");
  v.field("training.focal_alpha", t.focal_alpha, 0.0, kProbability,
          "focal: one weight for every sample's loss; 0: none; class weights, when given, "
          "replace it per class");
  v.field("training.class_weights", t.class_weights, ClassWeighting::none, kAny,
          "per-class loss weights (focal: per-class alpha; bce: pos_weight): none; balanced: "
          "n_samples / (n_classes * class count) over the training split; given: "
          "class_weight_values");
  v.field("training.class_weight_values", t.class_weight_values, {}, kNonNegative,
          "with class_weights: given, one weight per class, in the training split's class order");
  v.field("training.accumulation_steps", t.accumulation_steps, 1, kPositive,
          "batches whose gradients add up before one optimizer step: an effective batch of "
          "batch_size * accumulation_steps");
  v.field("training.clip_grad_norm", t.clip_grad_norm, 0.0, kNonNegative,
          "before each step, scale the gradients down so that their global L2 norm is at most "
          "this; 0: off");
  v.field("training.amp", t.amp, Amp::off, kAny,
          "mixed precision as torch.autocast: matmul, conv and attention in bf16 or fp16 with f32 "
          "accumulation and f32 master weights; fp16 adds a dynamic loss scaler that skips "
          "non-finite steps; off: f32 throughout");
  v.field("training.ema", t.ema, false, kAny,
          "keep an exponential moving average of the weights (timm's ModelEmaV2), updated "
          "after every optimizer step");
  v.field("training.ema_decay", t.ema_decay, 0.9998, kProbability,
          "ema: each step, average = decay * average + (1 - decay) * weights");
  v.field("training.ema_eval", t.ema_eval, false, kAny,
          "ema: evaluate the averaged weights every epoch and save them as best_model and last");
  v.field("training.early_stopping.monitor", t.early_stopping.monitor, "val_macro_f1", kAny,
          "the history.csv column that picks the best epoch, stops early and drives plateau, "
          "e.g. val_macro_f1, val_acc, val_loss, val_top5; an unknown column never improves");
  v.field("training.early_stopping.mode", t.early_stopping.mode, MonitorMode::max, kAny,
          "max: a larger monitored value is better; min: a smaller one (val_loss)");
  v.field("training.early_stopping.patience", t.early_stopping.patience, 5, kNonNegative,
          "stop after this many epochs in a row without improvement; 0: never stop early");
  v.field("training.seed", t.seed, 42, kNonNegative,
          "fixes initialisation, the validation split, the subsets, data order, augmentation "
          "and dropout");
  v.field("training.deterministic", t.deterministic, true, kAny,
          "the same numbers from the same seed on the GPU too: cuDNN may only pick algorithms "
          "it marks deterministic");
  v.field("training.device", t.device, DeviceChoice{}, kAny,
          "auto: the first GPU when one is visible, else the CPU; cpu; cuda (cuda:0); cuda:N");
}

template <typename Visitor>
void visit_fields(OutputSection& o, Visitor& v) {
  using namespace rules;
  v.field("output.dir", o.dir, "", kAny,
          "the folder for config.yaml, the weights, the checkpoint, history, metrics and plots; "
          "empty: outputs/<run_name>");
  v.field("output.run_name", o.run_name, "", kAny,
          "the run's name in reports and its default folder; empty: the config file's name");
  v.field("output.checkpoint_every_steps", o.checkpoint_every_steps, 0, kNonNegative,
          "also save checkpoint.safetensors (for --resume) every N optimizer steps; 0: at the "
          "end of each epoch only");
}

template <typename Visitor>
void visit_config_fields(TrainConfig& c, Visitor& v) {
  visit_fields(c.model, v);
  visit_fields(c.data, v);
  visit_fields(c.training, v);
  visit_fields(c.output, v);
}

}  // namespace fovea::train
