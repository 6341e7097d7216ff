#pragma once
// Bringing PyTorch weights into fovea. A timm or torchvision state_dict saved as
// safetensors has PyTorch's names and NCHW conv weights [out, in, kh, kw]; fovea keeps
// timm's names and NHWC weights [out, kh, kw, in]. Importing renames torchvision keys
// through the model's key map, permutes every 4-D weight, and checks the result against
// the model, key by key and shape by shape.
#include <string>

#include "models/model.h"

namespace fovea {

enum class WeightSource { timm, torchvision };
WeightSource weight_source(const std::string& name);  // "timm" | "torchvision"

// The state in fovea's names and layouts. Throws naming every key that does not fit.
TensorMap import_state_dict(const TensorMap& pytorch_state, const std::string& model_name,
                            WeightSource source);

// Loads fovea-format weights into `model`. The model first adapts the state to itself
// (Model::adapt_pretrained: a ViT resamples its position embedding to its own grid). When
// the file's classifier has a different class count, it is left out and the model keeps
// its fresh classifier, as timm does when fine-tuning; every other key must match exactly.
void load_pretrained(Model& model, const std::string& path);

}  // namespace fovea
