#include "engine/text.h"
#include "models/families.h"
#include "models/import.h"

namespace fovea {

namespace {

std::vector<std::string> registered_names_like(const std::string& name) {
  std::vector<std::string> names;
  for (const ModelInfo& info : model_registry()) names.push_back(info.name);
  return fovea::close_matches(name, names, 5);
}

}  // namespace

std::vector<Tensor> Model::attention_maps(const Tensor&) {
  fail("{} has no attention layers; attention maps exist for ViT and Swin models", type_name());
}

void Model::set_head(std::shared_ptr<ClassifierHead> head, const std::string& name) {
  FOVEA_CHECK(head_ == nullptr, "{}: the classifier head is set twice", type_name());
  if (name.empty()) {
    register_inline(head);
  } else {
    register_module(name, head);
  }
  head_ = std::move(head);
  head_name_ = name;
}

ClassifierHead& Model::head() const {
  FOVEA_CHECK(head_ != nullptr, "{}: the model has no classifier head (set_head)", type_name());
  return *head_;
}

std::string Model::classifier_name() const {
  return head_name_.empty() ? head().fc_name() : head_name_ + "." + head().fc_name();
}

const std::vector<ModelInfo>& model_registry() {
  static const std::vector<ModelInfo> registry = [] {
    std::vector<ModelInfo> all;
    for (std::vector<ModelInfo> family :
         {simple_models(), resnet_models(), densenet_models(), efficientnet_models(),
          mobilenet_models(), regnet_models(), convnext_models(), vit_models(), swin_models(),
          swinv2_models(), coatnet_models()}) {
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
  const std::vector<std::string> matches = registered_names_like(name);
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
