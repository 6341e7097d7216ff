#pragma once
// What every architecture offers, the way timm's models do: forward_features (the
// backbone), forward_head (the classifier head, layers/classifier.h), a replaceable
// classifier for fine-tuning, gradient checkpointing (Module::set_grad_checkpointing),
// and the registry that creates models by their timm names.
#include <functional>
#include <string>
#include <vector>

#include "layers/classifier.h"

namespace fovea {

struct ModelConfig {
  int64_t num_classes = 1000;
  int64_t in_chans = 3;
  int64_t img_size = 0;         // 0: the model's default input size
  double drop_rate = 0.0;       // dropout before the classifier
  double drop_path_rate = 0.0;  // stochastic depth, rising linearly over the blocks
  std::string pretrained_path;  // a safetensors file with timm names; empty for none
};

class Model : public Module {
 public:
  using Module::Module;

  // x [B, H, W, C] -> the last feature map [B, h, w, C'] (CNNs) or tokens [B, N, C'].
  virtual Tensor forward_features(const Tensor& x) = 0;
  // features -> logits [B, num_classes]; with pre_logits, the pooled features instead.
  // The head does it; a model overrides this only to put layers before the classifier.
  virtual Tensor forward_head(const Tensor& features, bool pre_logits = false) {
    return head().forward(features, pre_logits);
  }
  Tensor forward(const Tensor& x) override { return forward_head(forward_features(x)); }

  // Replaces the classifier by a fresh one for `num_classes` (0 removes it), as timm's
  // reset_classifier does for fine-tuning.
  void reset_classifier(int64_t num_classes) { head().reset(num_classes); }
  // The state_dict prefix of the classifier ("fc", "head", "classifier", "head.fc").
  std::string classifier_name() const;
  // Width of the pooled features the classifier reads.
  int64_t num_features() const { return head().in_features(); }
  ClassifierHead& head() const;

  // The attention probabilities of every attention block for input x, first block first
  // ([B, heads, N, N] for ViT; [B * windows, heads, 49, 49] per block for Swin). Models
  // without attention throw.
  virtual std::vector<Tensor> attention_maps(const Tensor& x);

  // Adapts a pretrained state (fovea names and layouts) to this instance before it is
  // loaded, where the architecture allows it, e.g. a ViT built for another image size
  // resamples the file's position embedding to its own grid, as timm's checkpoint filter
  // does. Most models leave the state as it is.
  virtual void adapt_pretrained(TensorMap& /*state*/) {}

 protected:
  // Makes `head` the model's classifier head, registered under `name` ("head": timm's
  // ClassifierHead, state under head.fc), or with an empty name inline, its parts at the
  // top level as timm's ResNet (fc), EfficientNet (classifier) and ViT (head) keep them.
  void set_head(std::shared_ptr<ClassifierHead> head, const std::string& name = "head");

 private:
  std::shared_ptr<ClassifierHead> head_;
  std::string head_name_;
};

using ModelPtr = std::shared_ptr<Model>;

// Renames one torchvision state_dict key to fovea's (timm's) name for the same tensor;
// an empty result drops the key (a buffer fovea computes itself, say).
using KeyMap = std::function<std::string(const std::string& torchvision_key)>;
// Rewrites tensors that torchvision lays out differently from timm, on the state already
// renamed by the KeyMap (torchvision's Swin V2 keeps one qkv bias where timm has q_bias
// and v_bias, say).
using StateConvert = std::function<void(TensorMap& state)>;

struct ModelInfo {
  std::string name{};    // timm's name: "resnet50", "swin_tiny_patch4_window7_224"
  std::string family{};  // the models/ file: "resnet", "swin", ...
  int64_t default_img_size = 224;
  int64_t smoke_img_size = 64;  // a small input the model accepts, for quick tests
  std::function<ModelPtr(const ModelConfig&)> create{};
  std::string torchvision_name{};      // "resnet50", "swin_t", ...; empty when torchvision lacks it
  KeyMap torchvision_keys{};           // needed when torchvision's names differ from timm's
  StateConvert torchvision_convert{};  // needed when a tensor's layout differs as well
};

// Every model fovea has, in the order `fovea models` lists them.
const std::vector<ModelInfo>& model_registry();
const ModelInfo& model_info(const std::string& name);  // throws, listing close matches
// Creates a model; loads config.pretrained_path when given (replacing the classifier when
// the file's class count differs, as timm does).
ModelPtr create_model(const std::string& name, const ModelConfig& config = {});

}  // namespace fovea
