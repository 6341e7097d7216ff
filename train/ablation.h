#pragma once
// Ablation studies: a plan names a base config and a list (or grid) of variations; each
// variation trains in its own output folder, finished runs are skipped on a rerun, and
// the results are compared in ablation.md (a table like seed 004's) and ablation.png.
//
//   name: Fashion-MNIST ablation
//   base: ../fashion_mnist/base.yaml       # relative to the plan file
//   output: outputs/ablation_fashion_mnist
//   set: {training.epochs: 3}              # applied to every run
//   runs:
//     - {name: logreg, set: {model.name: logreg}}
//   grid:                                  # every combination, appended to runs
//     model.name: [simple_cnn, resnet18]
//     data.augment: [false, true]
#include <string>
#include <utility>
#include <vector>

#include "train/report.h"

namespace fovea::train {

struct AblationRun {
  std::string name;
  std::vector<std::pair<std::string, std::string>> overrides;  // key, value (YAML text)
};

struct AblationPlan {
  std::string name;
  std::string base_config;
  std::string output_dir;
  std::vector<std::pair<std::string, std::string>> common;
  std::vector<AblationRun> runs;
};

AblationPlan load_ablation_plan(const std::string& path);

struct AblationOptions {
  std::string data_root;               // --data: overrides data.root of every run
  std::vector<std::string> overrides;  // --set: applied after the plan's
  bool quiet = false;
};

struct AblationResult {
  std::string run;
  RunSummary summary;
  bool skipped = false;  // finished by an earlier invocation
};

// Trains every run not yet finished, then writes ablation.md and ablation.png.
std::vector<AblationResult> run_ablation(const AblationPlan& plan, const AblationOptions& options);

// The Markdown table of ablation.md.
std::string ablation_table(const AblationPlan& plan, const std::vector<AblationResult>& results);

}  // namespace fovea::train
