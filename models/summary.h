#pragma once
// A per-layer summary of a model at an input size: each leaf module's output shape,
// parameters and multiply-accumulates, and the totals (parameters, GMACs, activation
// memory), as `fovea summary` prints it. MACs are counted the way timm's profiling does:
// convolutions, linear layers and the matrix products of attention.
#include <string>
#include <vector>

#include "models/model.h"

namespace fovea {

struct LayerSummary {
  std::string name;  // dotted path, "layer1.0.conv1"
  std::string type;  // "Conv2d"
  Shape output_shape;
  int64_t parameters = 0;  // of this module alone
  int64_t macs = 0;
};

struct ModelSummary {
  std::vector<LayerSummary> layers;  // leaf modules, in call order
  int64_t total_parameters = 0;
  int64_t trainable_parameters = 0;
  int64_t total_macs = 0;
  int64_t activation_bytes = 0;  // outputs of the leaf modules, batch 1, f32
};

// Runs one forward of a [1, img_size, img_size, in_chans] input without a graph.
ModelSummary summarize(Model& model, int64_t img_size, int64_t in_chans = 3);
std::string format_summary(const ModelSummary& summary, const std::string& title);

}  // namespace fovea
