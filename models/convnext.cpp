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

#include "layers/classifier.h"
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
  ConvNeXtBlock(int64_t dim, double layer_scale_init, double drop_path_rate)
      : Module("ConvNeXtBlock") {
    conv_dw = register_module(
        "conv_dw",
        std::make_shared<Conv2d>(dim, dim, Conv2dConfig{.kernel = 7, .padding = 3, .groups = dim}));
    norm = register_module("norm", std::make_shared<LayerNorm>(dim, kLayerNormEps));
    mlp = register_module("mlp", std::make_shared<Mlp>(dim, 4 * dim, dim, "gelu"));
    register_parameter("gamma", &gamma, full({dim}, layer_scale_init));
    drop_path = register_module("drop_path", std::make_shared<DropPath>(drop_path_rate));
  }

  Tensor forward(const Tensor& x) override {  // x: [B, H, W, C]
    const Tensor y = mul((*mlp)((*norm)((*conv_dw)(x))), gamma);
    return add((*drop_path)(y), x);
  }

  std::shared_ptr<Conv2d> conv_dw;
  std::shared_ptr<LayerNorm> norm;
  std::shared_ptr<Mlp> mlp;
  Tensor gamma;  // [C], layer scale
  std::shared_ptr<DropPath> drop_path;
};

// Downsampling (LayerNorm, 2x2 stride-2 conv; none in the first stage), then the blocks.
class ConvNeXtStage : public Module {
 public:
  ConvNeXtStage(int64_t in, int64_t out, int64_t depth, double layer_scale_init,
                const std::vector<double>& drop_path_rates)
      : Module("ConvNeXtStage") {
    if (in != out) {
      downsample = register_module("downsample", std::make_shared<Sequential>());
      downsample->add(std::make_shared<LayerNorm>(in, kLayerNormEps));
      downsample->add(
          std::make_shared<Conv2d>(in, out, Conv2dConfig{.kernel = 2, .stride = 2, .padding = 0}));
    }
    blocks = register_module("blocks", std::make_shared<Sequential>());
    for (int64_t i = 0; i < depth; ++i) {
      blocks->add(std::make_shared<ConvNeXtBlock>(out, layer_scale_init, drop_path_rates[i]));
    }
  }

  Tensor forward(const Tensor& x) override {             // x: [B, H, W, in]
    const Tensor y = downsample ? (*downsample)(x) : x;  // [B, H/2, W/2, out] after the first
    return grad_checkpointing() ? checkpoint_seq(*blocks, y) : (*blocks)(y);
  }

  std::shared_ptr<Sequential> downsample;  // null in the first stage
  std::shared_ptr<Sequential> blocks;
};

class ConvNeXt : public Model {
 public:
  ConvNeXt(const ConvNeXtConfig& arch, const ModelConfig& config) : Model("ConvNeXt") {
    FOVEA_CHECK(config.img_size == 0 || config.img_size >= kMinImageSize,
                "ConvNeXt: img_size {} is too small: images must be at least 32x32 (the network "
                "downsamples 32x)",
                config.img_size);
    const auto& [depths, dims, layer_scale_init, head_init_scale] = arch;
    stem = register_module("stem", std::make_shared<Sequential>());
    stem->add(std::make_shared<Conv2d>(config.in_chans, dims[0],
                                       Conv2dConfig{.kernel = 4, .stride = 4, .padding = 0}));
    stem->add(std::make_shared<LayerNorm>(dims[0], kLayerNormEps));

    const std::vector<std::vector<double>> drop_path =
        drop_path_rates(config.drop_path_rate, {depths.begin(), depths.end()});
    stages = register_module("stages", std::make_shared<Sequential>());
    for (size_t s = 0; s < 4; ++s) {
      stages->add(std::make_shared<ConvNeXtStage>(s == 0 ? dims[0] : dims[s - 1], dims[s],
                                                  depths[s], layer_scale_init, drop_path[s]));
    }
    set_head(std::make_shared<NormClassifierHead>(dims[3], config.num_classes, config.drop_rate,
                                                  kLayerNormEps));
    init_weights(head_init_scale);
  }

  Tensor forward_features(const Tensor& x) override {  // x: [B, H, W, in_chans]
    FOVEA_CHECK(x.dim() == 4 && x.size(1) >= kMinImageSize && x.size(2) >= kMinImageSize,
                "ConvNeXt: images must be at least 32x32 (the network downsamples 32x), got "
                "input {}",
                shape_str(x.shape()));
    const Tensor y = (*stem)(x);  // [B, H/4, W/4, 96]
    return (*stages)(y);          // [B, H/32, W/32, 768]
  }

  std::shared_ptr<Sequential> stem, stages;

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
