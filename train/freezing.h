#pragma once
// Freezing for fine-tuning, in the three ways the seeds ask for it:
//   model.freeze: [stem, stages.0, stages.1]  prefixes of parameter names (seed 002)
//   model.freeze_layers: N                   the first N layer groups: the stem, then
//                                            one group per stage (seed 001)
//   model.freeze_backbone: true              everything but the classifier (linear probe)
// Frozen parameters get requires_grad = false, so no gradient is computed for them.
#include <string>
#include <vector>

#include "models/model.h"
#include "train/config.h"

namespace fovea::train {

// Applies the config; returns the names of the frozen parameters.
std::vector<std::string> apply_freezing(Model& model, const ModelSection& config);

}  // namespace fovea::train
