#include "train/freezing.h"

#include <algorithm>
#include <cctype>

namespace fovea::train {

namespace {

bool has_prefix(const std::string& name, const std::string& prefix) {
  return name == prefix || name.rfind(prefix + ".", 0) == 0;
}

// The model's layer groups in order, classifier excluded, each a list of name prefixes:
// first the stem (every top-level part before the first stage), then one group per stage.
// A stage is a numbered child of a container (stages.0, blocks.3, layers.1) or a part named
// like a ResNet stage (layer1). ResNet: [conv1 bn1], [layer1], ..., [layer4];
// ViT: [cls_token pos_embed patch_embed], [blocks.0], ..., [blocks.11], [norm].
std::vector<std::vector<std::string>> layer_groups(const Model& model) {
  const std::string head = model.classifier_name().substr(0, model.classifier_name().find('.'));
  std::vector<std::vector<std::string>> groups;
  std::vector<std::string> seen;
  bool in_stem = true;
  for (const auto& [name, p] : model.named_parameters()) {
    const size_t dot = name.find('.');
    const std::string top = name.substr(0, dot);
    if (top == head) continue;
    const size_t next = name.find('.', dot + 1);
    const std::string second = dot == std::string::npos ? "" : name.substr(dot + 1, next - dot - 1);
    const bool numbered = !second.empty() && std::isdigit(static_cast<unsigned char>(second[0]));
    const bool stage = numbered || (top.size() > 5 && top.rfind("layer", 0) == 0);
    const std::string key = numbered ? top + "." + second : top;
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    if (in_stem && !stage) {
      if (groups.empty()) groups.emplace_back();
      groups.front().push_back(key);
      continue;
    }
    in_stem = false;
    groups.push_back({key});
  }
  return groups;
}

}  // namespace

std::vector<std::string> apply_freezing(Model& model, const ModelSection& config) {
  std::vector<std::string> prefixes = config.freeze;
  const std::vector<std::vector<std::string>> groups = layer_groups(model);
  std::vector<std::string> group_names;
  for (const auto& group : groups)
    group_names.push_back(fmt::format("[{}]", fmt::join(group, " ")));
  FOVEA_CHECK(
      config.freeze_layers <= static_cast<int64_t>(groups.size()),
      "model.freeze_layers is {}, but {} has only {} layer groups before its classifier: {}",
      config.freeze_layers, model.type_name(), groups.size(), fmt::join(group_names, ", "));
  for (size_t i = 0; i < groups.size(); ++i) {
    if (static_cast<int64_t>(i) < config.freeze_layers || config.freeze_backbone) {
      prefixes.insert(prefixes.end(), groups[i].begin(), groups[i].end());
    }
  }

  std::vector<std::string> frozen;
  for (const std::string& prefix : prefixes) {
    bool matched = false;
    for (auto& [name, p] : model.named_parameters()) {
      if (!has_prefix(name, prefix)) continue;
      matched = true;
      if (!p.requires_grad()) continue;
      Tensor param = p;
      param.requires_grad_(false);
      frozen.push_back(name);
    }
    FOVEA_CHECK(matched, "model.freeze: no parameter of {} starts with '{}' (layer groups: {})",
                model.type_name(), prefix, fmt::join(group_names, ", "));
  }
  return frozen;
}

}  // namespace fovea::train
