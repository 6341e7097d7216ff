// ConvNeXt, as timm builds it.
//
// Liu, Mao, Wu, Feichtenhofer, Darrell, Xie, "A ConvNet for the 2020s", CVPR 2022
// (https://arxiv.org/abs/2201.03545). A ResNet modernised step by step towards a Swin
// Transformer: a 4x4 stride-4 "patchify" stem, stages of inverted-bottleneck blocks with
// a 7x7 depthwise convolution, LayerNorm instead of BatchNorm, GELU, layer scale, and
// separate downsampling layers (LayerNorm + 2x2 stride-2 conv) between stages.
//
// fovea is NHWC, so the channel LayerNorm (timm's LayerNorm2d) and the pointwise MLP
// (Linear layers over the last dim) need none of the permutes the NCHW code has.
//
// State-dict names are timm's: stem.{0,1}, stages.N.downsample.{0,1},
// stages.N.blocks.M.{conv_dw, norm, mlp.fc1, mlp.fc2, gamma}, head.norm, head.fc.
#include <array>
#include <map>
#include <regex>

#include "layers/container.h"
#include "layers/conv.h"
#include "layers/init.h"
#include "layers/linear.h"
#include "layers/mlp.h"
#include "layers/norm.h"
#include "layers/regularization.h"
#include "models/families.h"

namespace fovea {

namespace {

constexpr double kLayerNormEps = 1e-6;
// The stem (4x) and three 2x2 downsamplings floor the size 32x over.
constexpr int64_t kMinImageSize = 32;

struct ConvNeXtConfig {
  std::array<int64_t, 4> depths;
  std::array<int64_t, 4> dims;
  double layer_scale_init = 1e-6;
  double head_init_scale = 1.0;
};

// x + gamma * mlp(norm(dwconv7x7(x))): the depthwise conv mixes space, the MLP (4x wide)
// mixes channels, as attention and the MLP do in a transformer block.
class ConvNeXtBlock : public Module {
 public:
  ConvNeXtBlock(int64_t dim, double layer_scale_init, double drop_path) : Module("ConvNeXtBlock") {
    conv_dw = register_module("conv_dw", std::make_shared<Conv2d>(dim, dim, 7, 1, /*groups=*/dim));
    norm = register_module("norm", std::make_shared<LayerNorm>(dim, kLayerNormEps));
    mlp = register_module("mlp", std::make_shared<Mlp>(dim, 4 * dim, dim, "gelu"));
    register_parameter("gamma", &gamma, full({dim}, layer_scale_init));
    drop_path_ = register_module("drop_path", std::make_shared<DropPath>(drop_path));
  }

  Tensor forward(const Tensor& x) override {  // x: [B, H, W, C]
    const Tensor y = mul((*mlp)((*norm)((*conv_dw)(x))), gamma);
    return add((*drop_path_)(y), x);
  }

  std::shared_ptr<Conv2d> conv_dw;
  std::shared_ptr<LayerNorm> norm;
  std::shared_ptr<Mlp> mlp;
  Tensor gamma;  // [C], layer scale

 private:
  std::shared_ptr<DropPath> drop_path_;
};

// Downsampling (LayerNorm, 2x2 stride-2 conv; none in the first stage), then the blocks.
class ConvNeXtStage : public Module {
 public:
  ConvNeXtStage(int64_t in, int64_t out, int64_t depth, double layer_scale_init,
                const std::vector<double>& drop_path)
      : Module("ConvNeXtStage") {
    if (in != out) {
      downsample_ = register_module("downsample", std::make_shared<Sequential>());
      downsample_->add(std::make_shared<LayerNorm>(in, kLayerNormEps));
      downsample_->add(std::make_shared<Conv2d>(
          in, out, Conv2dConfig{.kernel = {2, 2}, .stride = {2, 2}, .padding = {0, 0}}));
    }
    blocks_ = register_module("blocks", std::make_shared<Sequential>());
    for (int64_t i = 0; i < depth; ++i) {
      blocks_->add(std::make_shared<ConvNeXtBlock>(out, layer_scale_init, drop_path[i]));
    }
  }

  Tensor forward(const Tensor& x) override {         // x: [B, H, W, in]
    Tensor y = downsample_ ? (*downsample_)(x) : x;  // [B, H/2, W/2, out] after the first
    for (const auto& [name, block] : blocks_->children()) {
      y = grad_checkpointing()
              ? checkpoint([block](const TensorList& in) { return (*block)(in[0]); }, {y})
              : (*block)(y);
    }
    return y;
  }

 private:
  std::shared_ptr<Sequential> downsample_, blocks_;
};

// timm's NormMlpClassifierHead without the hidden layer: pool, LayerNorm, dropout, fc.
class NormClassifierHead : public Module {
 public:
  NormClassifierHead(int64_t features, int64_t num_classes, double drop_rate)
      : Module("NormMlpClassifierHead"), features_(features) {
    norm = register_module("norm", std::make_shared<LayerNorm>(features, kLayerNormEps));
    drop_ = register_module("drop", std::make_shared<Dropout>(drop_rate));
    reset(num_classes);
  }
  Tensor forward(const Tensor& x) override { return forward(x, false); }
  Tensor forward(const Tensor& x, bool pre_logits) {           // x: [B, h, w, C]
    const Tensor pooled = (*drop_)((*norm)(mean(x, {1, 2})));  // [B, C]
    return pre_logits || !fc ? pooled : (*fc)(pooled);
  }
  void reset(int64_t num_classes) {
    fc = num_classes > 0 ? std::make_shared<Linear>(features_, num_classes) : nullptr;
    replace_module("fc", fc);
  }
  std::shared_ptr<LayerNorm> norm;
  std::shared_ptr<Linear> fc;

 private:
  int64_t features_;
  std::shared_ptr<Dropout> drop_;
};

class ConvNeXt : public Model {
 public:
  ConvNeXt(const ConvNeXtConfig& arch, const ModelConfig& config) : Model("ConvNeXt") {
    FOVEA_CHECK(config.img_size == 0 || config.img_size >= kMinImageSize,
                "ConvNeXt: img_size {} is too small: images must be at least 32x32 (the network "
                "downsamples 32x)",
                config.img_size);
    const auto& [depths, dims, layer_scale_init, head_init_scale] = arch;
    stem_ = register_module("stem", std::make_shared<Sequential>());
    stem_->add(std::make_shared<Conv2d>(
        config.in_chans, dims[0],
        Conv2dConfig{.kernel = {4, 4}, .stride = {4, 4}, .padding = {0, 0}}));
    stem_->add(std::make_shared<LayerNorm>(dims[0], kLayerNormEps));

    int64_t total_blocks = 0;
    for (int64_t depth : depths) total_blocks += depth;
    stages_ = register_module("stages", std::make_shared<Sequential>());
    int64_t block_index = 0;
    for (size_t s = 0; s < 4; ++s) {
      std::vector<double> drop_path;  // timm's linear schedule over all blocks
      for (int64_t i = 0; i < depths[s]; ++i, ++block_index) {
        drop_path.push_back(config.drop_path_rate * static_cast<double>(block_index) /
                            static_cast<double>(total_blocks - 1));
      }
      stage_list_.push_back(stages_->add(std::make_shared<ConvNeXtStage>(
          s == 0 ? dims[0] : dims[s - 1], dims[s], depths[s], layer_scale_init, drop_path)));
    }
    num_features_ = dims[3];
    head_ = register_module("head", std::make_shared<NormClassifierHead>(
                                        num_features_, config.num_classes, config.drop_rate));
    init_weights(head_init_scale);
  }

  Tensor forward_features(const Tensor& x) override {  // x: [B, H, W, in_chans]
    FOVEA_CHECK(x.dim() == 4 && x.size(1) >= kMinImageSize && x.size(2) >= kMinImageSize,
                "ConvNeXt: images must be at least 32x32 (the network downsamples 32x), got "
                "input {}",
                shape_str(x.shape()));
    Tensor y = (*stem_)(x);  // [B, H/4, W/4, 96]
    return (*stages_)(y);    // [B, H/32, W/32, 768]
  }
  Tensor forward_head(const Tensor& features, bool pre_logits) override {
    return head_->forward(features, pre_logits);
  }

  void reset_classifier(int64_t num_classes) override { head_->reset(num_classes); }
  std::string classifier_name() const override { return "head.fc"; }
  int64_t num_features() const override { return num_features_; }

 private:
  // timm's _init_weights: truncated normal (std 0.02) for every conv and linear weight,
  // zero biases, and the classifier scaled by head_init_scale.
  void init_weights(double head_init_scale) {
    for (auto& [name, module] : named_modules()) {
      Tensor* weight = nullptr;
      Tensor* bias = nullptr;
      if (auto* conv = dynamic_cast<Conv2d*>(module)) {
        weight = &conv->weight, bias = &conv->bias;
      } else if (auto* linear = dynamic_cast<Linear*>(module)) {
        weight = &linear->weight, bias = &linear->bias;
      } else {
        continue;
      }
      init::trunc_normal_(*weight, 0.0, 0.02);
      if (bias->defined()) init::zeros_(*bias);
      if (name.starts_with("head.") && head_init_scale != 1.0) {
        NoGradGuard no_grad;
        mul_(*weight, head_init_scale);
      }
    }
  }

  std::shared_ptr<Sequential> stem_, stages_;
  std::vector<std::shared_ptr<ConvNeXtStage>> stage_list_;
  std::shared_ptr<NormClassifierHead> head_;
  int64_t num_features_ = 0;
};

// torchvision's ConvNeXt names -> timm's:
//   features.0.{0,1}                    -> stem.{0,1}
//   features.{2s}.{0,1}                 -> stages.s.downsample.{0,1}     (s = 1, 2, 3)
//   features.{2s+1}.{m}.block.{0,2,3,5} -> stages.s.blocks.m.{conv_dw, norm, mlp.fc1, mlp.fc2}
//   features.{2s+1}.{m}.layer_scale     -> stages.s.blocks.m.gamma
//   classifier.{0,2}                    -> head.{norm,fc}
std::string torchvision_convnext_key(const std::string& key) {
  static const std::regex kFeature(R"(features\.(\d+)\.(\d+)\.(.*))");
  std::smatch feature;
  if (std::regex_match(key, feature, kFeature)) {
    const int index = std::stoi(feature[1]);
    if (index == 0) return fmt::format("stem.{}.{}", feature[2].str(), feature[3].str());
    if (index % 2 == 0) {
      return fmt::format("stages.{}.downsample.{}.{}", index / 2, feature[2].str(),
                         feature[3].str());
    }
    static const std::map<std::string, std::string> kParts = {{"block.0", "conv_dw"},
                                                              {"block.2", "norm"},
                                                              {"block.3", "mlp.fc1"},
                                                              {"block.5", "mlp.fc2"},
                                                              {"layer_scale", "gamma"}};
    const std::string rest = feature[3];
    for (const auto& [from, to] : kParts) {
      if (rest == from || rest.starts_with(from + ".")) {
        return fmt::format("stages.{}.blocks.{}.{}{}", index / 2, feature[2].str(), to,
                           rest.substr(from.size()));
      }
    }
  }
  if (key.starts_with("classifier.0.")) return "head.norm." + key.substr(13);
  if (key.starts_with("classifier.2.")) return "head.fc." + key.substr(13);
  return key;  // not torchvision's: load_state_dict will name it
}

// torchvision keeps the layer scale as [C, 1, 1] to broadcast over NCHW; timm's gamma is [C].
void torchvision_convnext_convert(TensorMap& state) {
  for (auto& [key, tensor] : state) {
    if (key.ends_with(".gamma")) tensor = tensor.reshape({tensor.numel()});
  }
}

}  // namespace

std::vector<ModelInfo> convnext_models() {
  return {
      {.name = "convnext_tiny",
       .family = "convnext",
       .default_img_size = 224,
       .smoke_img_size = 32,
       .create =
           [](const ModelConfig& c) {
             return std::make_shared<ConvNeXt>(
                 ConvNeXtConfig{.depths = {3, 3, 9, 3}, .dims = {96, 192, 384, 768}}, c);
           },
       .torchvision_name = "convnext_tiny",
       .torchvision_keys = torchvision_convnext_key,
       .torchvision_convert = torchvision_convnext_convert},
  };
}

}  // namespace fovea
