#pragma once
// Training checkpoints: everything a run needs to continue exactly where it stopped, in one
// safetensors file written atomically (temp file, then rename), so a run killed at any
// moment leaves either the previous checkpoint or the new one, never half of one.
//
// Tensors: "model.<name>" (weights and buffers), "optimizer.<key>", "ema.<name>".
// Metadata "fovea.state" (JSON): where the run is (epoch, batch, optimizer step), the RNG
// state, the LR schedule, the loss scaler, and early-stopping bookkeeping.
#include <cstdint>
#include <string>

#include "engine/rng.h"
#include "layers/module.h"
#include "train/ema.h"
#include "train/optimizer.h"

namespace fovea::train {

struct TrainProgress {
  int64_t epoch = 0;        // 0-based epoch in progress (or the next one, when batch == 0)
  int64_t batch = 0;        // the next batch of that epoch to train
  int64_t global_step = 0;  // optimizer steps taken
  RngState rng;             // the default generator (dropout, drop_path)
  std::string schedule_state;
  double loss_scale = 1.0;
  int64_t scaler_good_steps = 0;
  int64_t skipped_steps = 0;
  double best_value = 0.0;  // the monitored metric's best value so far
  int64_t best_epoch = 0;   // 1-based; 0 when none yet
  int64_t bad_epochs = 0;   // epochs since the best (early stopping)
  // The running sums of the epoch in progress, so its train loss/accuracy continue.
  double epoch_loss_sum = 0.0;
  int64_t epoch_correct = 0;
  int64_t epoch_samples = 0;
  double epoch_seconds = 0.0;
  std::string config_yaml;  // to refuse resuming with another configuration
};

void save_checkpoint(const std::string& path, const Module& model, const Optimizer& optimizer,
                     const ModelEma* ema, const TrainProgress& progress);
// Restores model, optimizer and EMA in place and returns the progress.
TrainProgress load_checkpoint(const std::string& path, Module& model, Optimizer& optimizer,
                              ModelEma* ema);

}  // namespace fovea::train
