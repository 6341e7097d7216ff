#pragma once
// The Trainer runs one experiment from a TrainConfig: it builds the model and the data,
// trains with the configured optimizer, schedule, loss, mixed precision, accumulation,
// clipping and EMA, evaluates every epoch, keeps the best weights by the monitored metric,
// stops early, checkpoints so that a killed run resumes exactly, and finally writes the
// run's outputs:
//
//   outputs/<run>/config.yaml            the configuration, every default filled in
//   outputs/<run>/best_model.safetensors the best weights (by the monitored metric)
//   outputs/<run>/last.safetensors       the weights after the last epoch
//   outputs/<run>/checkpoint.safetensors the full training state, for --resume
//   outputs/<run>/history.csv            one row per epoch
//   outputs/<run>/metrics.json           final validation and test metrics, and more
//   outputs/<run>/confusion_matrix.png   and curves.png
//   outputs/<run>/profile.txt            with --profile-steps N: the per-op table
#include <memory>
#include <string>

#include "models/model.h"
#include "train/config.h"
#include "train/report.h"

namespace fovea::train {

struct TrainerOptions {
  bool resume = false;  // continue from <output dir>/checkpoint.safetensors
  bool quiet = false;   // no progress bars (tests)
  // Profile this many optimizer steps after the first (train/step_profile.h); 0: none.
  int64_t profile_steps = 0;
};

class Trainer {
 public:
  explicit Trainer(TrainConfig config, TrainerOptions options = {});
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // Trains and writes every output. Throws fovea::Error on a non-finite f32 loss (naming
  // the step). On SIGINT/SIGTERM it saves a checkpoint and returns with interrupted().
  RunSummary run();
  bool interrupted() const;

  Model& model();
  const std::string& output_dir() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The output folder a config writes to: output.dir, or outputs/<run_name>.
std::string output_dir_for(const TrainConfig& config);

}  // namespace fovea::train
