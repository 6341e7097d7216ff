#include "models/import.h"

namespace fovea {

WeightSource weight_source(const std::string& name) {
  if (name == "timm") return WeightSource::timm;
  if (name == "torchvision") return WeightSource::torchvision;
  fail("unknown weight source '{}': expected 'timm' or 'torchvision'", name);
}

TensorMap import_state_dict(const TensorMap& pytorch_state, const std::string& model_name,
                            WeightSource source) {
  const ModelInfo& info = model_info(model_name);
  FOVEA_CHECK(source == WeightSource::timm || !info.torchvision_name.empty(),
              "import: torchvision has no '{}'; import it from timm weights", model_name);
  TensorMap out;
  for (const auto& [key, tensor] : pytorch_state) {
    std::string name = key;
    if (source == WeightSource::torchvision && info.torchvision_keys)
      name = info.torchvision_keys(key);
    if (name.empty()) continue;
    FOVEA_CHECK(!out.count(name), "import: two keys map to '{}' (the second is '{}')", name, key);
    // Conv weights are the only 4-D tensors in these networks: OIHW -> OHWI.
    out[name] = tensor.dim() == 4 ? tensor.permute({0, 2, 3, 1}).contiguous() : tensor;
  }
  if (source == WeightSource::torchvision && info.torchvision_convert)
    info.torchvision_convert(out);
  return out;
}

void load_pretrained(Model& model, const std::string& path) {
  TensorMap state = load_safetensors(path).tensors;
  const std::string head = model.classifier_name() + ".";
  const TensorMap own = model.state_dict();
  bool head_replaced = false;
  for (auto it = state.begin(); it != state.end();) {
    const bool is_head = it->first.rfind(head, 0) == 0;
    auto mine = own.find(it->first);
    if (is_head && (mine == own.end() || mine->second.shape() != it->second.shape())) {
      it = state.erase(it);
      head_replaced = true;
    } else {
      ++it;
    }
  }
  const Module::LoadResult result = model.load_state_dict(state, /*strict=*/false);
  std::vector<std::string> missing;
  for (const std::string& key : result.missing) {
    if (!(head_replaced && key.rfind(head, 0) == 0)) missing.push_back(key);
  }
  FOVEA_CHECK(missing.empty() && result.unexpected.empty() && result.mismatched.empty(),
              "pretrained weights '{}' do not fit {}: missing [{}], unexpected [{}], mis-shaped "
              "[{}] (import PyTorch weights with `fovea import` first)",
              path, model.type_name(), fmt::join(missing, ", "), fmt::join(result.unexpected, ", "),
              fmt::join(result.mismatched, "; "));
}

}  // namespace fovea
