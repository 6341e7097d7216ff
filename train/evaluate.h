#pragma once
// Evaluation of a model over a loader: mean cross-entropy, and the classification metrics
// (accuracy, top-5, per-class precision/recall/F1, macro-F1, confusion matrix, AUC).
#include <string>
#include <vector>

#include "data/loader.h"
#include "engine/autocast.h"
#include "models/model.h"
#include "train/report.h"

namespace fovea::train {

struct EvaluationRun {
  EvaluationResult result;
  double images_per_second = 0.0;
  std::vector<float> probabilities;  // [N, C], in the loader's (sequential) order
  std::vector<int64_t> labels;       // [N]
};

// Runs `model` in eval mode over one epoch of `loader` (restoring train mode after).
EvaluationRun evaluate(Model& model, data::Loader& loader, const std::vector<std::string>& class_names,
                       Device device, AutocastState precision, const std::string& label, bool quiet);

}  // namespace fovea::train
