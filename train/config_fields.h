#pragma once
// The one list of configuration keys. A visitor sees every field with its dotted path,
// a reference to the value, and its rule; the YAML loader, the INI loader, --set, the
// config.yaml writer and the key listing are all visitors.
#include <limits>

#include "train/config.h"

namespace fovea::train {

template <typename Visitor>
void visit_config_fields(TrainConfig& c, Visitor& v) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const FieldRule any{};
  const FieldRule non_negative{.min = 0};
  const FieldRule positive{.min = 1};
  const FieldRule probability{.min = 0, .max = 1};
  auto choices = [](std::vector<std::string> options, std::string help = "") {
    return FieldRule{.choices = std::move(options), .help = std::move(help)};
  };

  ModelSection& m = c.model;
  v.field("model.name", m.name, FieldRule{.help = "a timm model name (`fovea models`)"});
  v.field("model.pretrained", m.pretrained, any);
  v.field("model.num_classes", m.num_classes, non_negative);
  v.field("model.drop_rate", m.drop_rate, probability);
  v.field("model.drop_path_rate", m.drop_path_rate, probability);
  v.field("model.freeze", m.freeze, any);
  v.field("model.freeze_layers", m.freeze_layers, non_negative);
  v.field("model.freeze_backbone", m.freeze_backbone, any);
  v.field("model.grad_checkpointing", m.grad_checkpointing, any);

  DataSection& d = c.data;
  v.field("data.dataset", d.dataset, choices({"fashion_mnist", "imagefolder", "packed"}));
  v.field("data.root", d.root, any);
  v.field("data.train_split", d.train_split, any);
  v.field("data.val_split", d.val_split, any);
  v.field("data.test_split", d.test_split, any);
  v.field("data.val_fraction", d.val_fraction, FieldRule{.min = 0, .max = 0.9});
  v.field("data.img_size", d.img_size, FieldRule{.min = 0, .max = 4096});
  v.field("data.in_chans", d.in_chans, FieldRule{.min = 0, .max = 3});
  v.field("data.augment", d.augment, any);
  v.field("data.crop_scale", d.crop_scale, FieldRule{.min = 0.01, .max = 1});
  v.field("data.crop_fraction", d.crop_fraction, FieldRule{.min = 0.1, .max = 1});
  v.field("data.hflip", d.hflip, probability);
  v.field("data.vflip", d.vflip, probability);
  v.field("data.rotation", d.rotation, FieldRule{.min = 0, .max = 180});
  v.field("data.color_jitter", d.color_jitter, probability);
  v.field("data.randaugment", d.randaugment, any);
  v.field("data.random_erasing", d.random_erasing, probability);
  v.field("data.clahe", d.clahe, non_negative);
  v.field("data.mixup", d.mixup, non_negative);
  v.field("data.cutmix", d.cutmix, non_negative);
  v.field("data.normalize", d.normalize, choices({"dataset", "imagenet"}));
  v.field("data.sampler", d.sampler, choices({"shuffle", "class_balanced"}));
  v.field("data.workers", d.workers, FieldRule{.min = 0, .max = 256});
  v.field("data.max_train_samples", d.max_train_samples, non_negative);
  v.field("data.max_eval_samples", d.max_eval_samples, non_negative);

  TrainingSection& t = c.training;
  v.field("training.epochs", t.epochs, positive);
  v.field("training.batch_size", t.batch_size, positive);
  v.field("training.optimizer", t.optimizer, choices({"adamw", "sgd"}));
  v.field("training.lr", t.lr, FieldRule{.min = 0, .max = 10});
  v.field("training.weight_decay", t.weight_decay, FieldRule{.min = 0, .max = 10});
  v.field("training.momentum", t.momentum, FieldRule{.min = 0, .max = 1});
  v.field("training.nesterov", t.nesterov, any);
  v.field("training.beta1", t.beta1, FieldRule{.min = 0, .max = 1});
  v.field("training.beta2", t.beta2, FieldRule{.min = 0, .max = 1});
  v.field("training.eps", t.eps, FieldRule{.min = 0, .max = 1});
  v.field("training.decay_norm_and_bias", t.decay_norm_and_bias, any);
  v.field("training.layer_decay", t.layer_decay, FieldRule{.min = 0, .max = 1});
  v.field("training.schedule", t.schedule,
          choices({"cosine", "step", "multistep", "plateau", "constant"}));
  v.field("training.warmup_epochs", t.warmup_epochs, non_negative);
  v.field("training.warmup_steps", t.warmup_steps, non_negative);
  v.field("training.warmup_lr", t.warmup_lr, non_negative);
  v.field("training.min_lr", t.min_lr, non_negative);
  v.field("training.step_epochs", t.step_epochs, positive);
  v.field("training.milestones", t.milestones, non_negative);
  v.field("training.gamma", t.gamma, FieldRule{.min = 0, .max = 1});
  v.field("training.plateau_patience", t.plateau_patience, non_negative);
  v.field("training.loss", t.loss, choices({"cross_entropy", "focal", "bce"}));
  v.field("training.label_smoothing", t.label_smoothing, FieldRule{.min = 0, .max = 1});
  v.field("training.focal_gamma", t.focal_gamma, non_negative);
  v.field("training.focal_alpha", t.focal_alpha, probability);
  v.field("training.class_weights", t.class_weights, choices({"none", "balanced", "given"}));
  v.field("training.class_weight_values", t.class_weight_values, non_negative);
  v.field("training.accumulation_steps", t.accumulation_steps, positive);
  v.field("training.clip_grad_norm", t.clip_grad_norm, non_negative);
  v.field("training.amp", t.amp, choices({"off", "bf16", "fp16"}));
  v.field("training.ema", t.ema, any);
  v.field("training.ema_decay", t.ema_decay, FieldRule{.min = 0, .max = 1});
  v.field("training.ema_eval", t.ema_eval, any);
  v.field("training.early_stopping.monitor", t.early_stopping.monitor, any);
  v.field("training.early_stopping.mode", t.early_stopping.mode, choices({"max", "min"}));
  v.field("training.early_stopping.patience", t.early_stopping.patience, non_negative);
  v.field("training.seed", t.seed, FieldRule{.min = 0, .max = kInf});
  v.field("training.deterministic", t.deterministic,
          FieldRule{.help = "the same numbers from the same seed on the GPU too: cuDNN may only "
                            "pick algorithms it marks deterministic (true by default)"});
  v.field("training.device", t.device, FieldRule{.help = "auto, cpu, cuda or cuda:N"});

  OutputSection& o = c.output;
  v.field("output.dir", o.dir, any);
  v.field("output.run_name", o.run_name, any);
  v.field("output.checkpoint_every_steps", o.checkpoint_every_steps, non_negative);
}

}  // namespace fovea::train
