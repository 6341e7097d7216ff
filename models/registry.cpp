#include <algorithm>

#include "models/families.h"
#include "models/import.h"

namespace fovea {

namespace {

// Edit distance, to suggest the model a user probably meant.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitute});
    }
  }
  return row[b.size()];
}

std::vector<std::string> close_matches(const std::string& name) {
  std::vector<std::pair<size_t, std::string>> scored;
  for (const ModelInfo& info : model_registry()) {
    const bool contains =
        info.name.find(name) != std::string::npos || name.find(info.name) != std::string::npos;
    scored.emplace_back(contains ? 0 : edit_distance(name, info.name), info.name);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < 5 && scored[i].first <= 4; ++i) {
    out.push_back(scored[i].second);
  }
  return out;
}

}  // namespace

std::vector<Tensor> Model::attention_maps(const Tensor&) {
  fail("{} has no attention layers; attention maps exist for ViT and Swin models", type_name());
}

const std::vector<ModelInfo>& model_registry() {
  static const std::vector<ModelInfo> registry = [] {
    std::vector<ModelInfo> all;
    for (std::vector<ModelInfo> family : {simple_models(), regnet_models(), convnext_models()}) {
      all.insert(all.end(), family.begin(), family.end());
    }
    return all;
  }();
  return registry;
}

const ModelInfo& model_info(const std::string& name) {
  for (const ModelInfo& info : model_registry()) {
    if (info.name == name) return info;
  }
  const std::vector<std::string> matches = close_matches(name);
  if (matches.empty()) fail("unknown model '{}'; `fovea models` lists them all", name);
  fail("unknown model '{}'; did you mean {}? (`fovea models` lists them all)", name,
       fmt::join(matches, ", "));
}

ModelPtr create_model(const std::string& name, const ModelConfig& config_in) {
  const ModelInfo& info = model_info(name);
  ModelConfig config = config_in;
  if (config.img_size == 0) config.img_size = info.default_img_size;
  FOVEA_CHECK(config.num_classes >= 0 && config.in_chans > 0 && config.img_size > 0,
              "create_model('{}'): num_classes {}, in_chans {} and img_size {} must be positive",
              name, config.num_classes, config.in_chans, config.img_size);
  ModelPtr model = info.create(config);
  if (!config.pretrained_path.empty()) load_pretrained(*model, config.pretrained_path);
  return model;
}

}  // namespace fovea
