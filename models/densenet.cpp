// DenseNet-BC, built as timm's DenseNet (itself torchvision's) builds it, and CheXNet.
//
//   Huang, Liu, van der Maaten, Weinberger. "Densely Connected Convolutional Networks."
//   CVPR 2017. arXiv:1608.06993
//   Pleiss, Chen, Huang, Li, van der Maaten, Weinberger. "Memory-Efficient Implementation
//   of DenseNets." arXiv:1707.06990
//   Rajpurkar, Irvin, Zhu, et al. "CheXNet: Radiologist-Level Pneumonia Detection on Chest
//   X-Rays with Deep Learning." arXiv:1711.05225
//
// Inside a dense block every layer sees the concatenation of the block input and of all
// earlier layers' outputs, and adds `growth_rate` new channels (k = 32 here) through a
// BN-ReLU-1x1 bottleneck to 4k channels and a BN-ReLU-3x3 conv to k. Transitions between
// blocks halve both the channels and the resolution. The network is pre-activation, so a
// final BN-ReLU (norm5) closes the features.
//
// The concatenation is along the last dim, the channels in NHWC. Stored naively, the
// concatenated input of each layer costs O(L^2) activation memory per block; with
// gradient checkpointing on, each layer's concat-BN-ReLU-1x1 is recomputed in backward
// instead (timm's memory_efficient), and only the k-channel outputs are kept.
#include <regex>

#include "layers/container.h"
#include "layers/conv.h"
#include "layers/init.h"
#include "layers/linear.h"
#include "layers/norm.h"
#include "layers/pooling.h"
#include "layers/regularization.h"
#include "models/families.h"

namespace fovea {

namespace {

struct DenseNetSpec {
  std::array<int64_t, 4> block_config{};  // dense layers per block
  int64_t growth_rate = 32;               // k: channels each dense layer adds
  int64_t bn_size = 4;                    // bottleneck width, in multiples of k
};

// timm's BatchNormAct2d with ReLU: BatchNorm followed by ReLU, under BatchNorm's names.
class BatchNormReLU : public BatchNorm2d {
 public:
  explicit BatchNormReLU(int64_t channels)
      : BatchNorm2d(channels, 1e-5, 0.1, ActivationKind::relu) {}
};

class DenseLayer : public Module {
 public:
  DenseLayer(int64_t in_channels, const DenseNetSpec& spec) : Module("DenseLayer") {
    const int64_t bottleneck = spec.bn_size * spec.growth_rate;
    norm1 = register_module("norm1", std::make_shared<BatchNormReLU>(in_channels));
    conv1 = register_module(
        "conv1", std::make_shared<Conv2d>(in_channels, bottleneck,
                                          Conv2dConfig{.kernel = 1, .padding = 0, .bias = false}));
    norm2 = register_module("norm2", std::make_shared<BatchNormReLU>(bottleneck));
    conv2 = register_module(
        "conv2", std::make_shared<Conv2d>(bottleneck, spec.growth_rate,
                                          Conv2dConfig{.kernel = 3, .padding = 1, .bias = false}));
  }

  // previous: the block input and every earlier layer's output, [B, H, W, c_j] each.
  Tensor forward(const TensorList& previous) {
    // concat, BN-ReLU, 1x1: [B, H, W, sum c_j] -> [B, H, W, bn_size * k]. The segment owns
    // what it uses, since a checkpoint keeps it in the graph until backward.
    auto bottleneck = [norm1 = norm1, conv1 = conv1](const TensorList& features) {
      return (*conv1)((*norm1)(cat(features, /*dim=*/3)));
    };
    const Tensor y = grad_checkpointing() ? checkpoint(bottleneck, previous) : bottleneck(previous);
    return (*conv2)((*norm2)(y));  // [B, H, W, k]
  }

  std::shared_ptr<BatchNormReLU> norm1, norm2;
  std::shared_ptr<Conv2d> conv1, conv2;
};

class DenseBlock : public Module {
 public:
  DenseBlock(int64_t num_layers, int64_t in_channels, const DenseNetSpec& spec)
      : Module("DenseBlock") {
    for (int64_t i = 0; i < num_layers; ++i) {
      layers.push_back(
          register_module("denselayer" + std::to_string(i + 1),
                          std::make_shared<DenseLayer>(in_channels + i * spec.growth_rate, spec)));
    }
  }

  Tensor forward(const Tensor& x) override {  // x: [B, H, W, c]
    TensorList features{x};
    for (const std::shared_ptr<DenseLayer>& layer : layers) {
      features.push_back(layer->forward(features));
    }
    return cat(features, /*dim=*/3);  // [B, H, W, c + num_layers * k]
  }

  std::vector<std::shared_ptr<DenseLayer>> layers;
};

// BN-ReLU, 1x1 conv to half the channels, 2x2 average pool: [B, H, W, c] -> [B, H/2, W/2, c/2].
std::shared_ptr<Sequential> transition(int64_t in_channels, int64_t out_channels) {
  auto t = std::make_shared<Sequential>();
  t->add("norm", std::make_shared<BatchNormReLU>(in_channels));
  t->add("conv", std::make_shared<Conv2d>(in_channels, out_channels,
                                          Conv2dConfig{.kernel = 1, .padding = 0, .bias = false}));
  t->add("pool", std::make_shared<AvgPool2d>(2, 2));
  return t;
}

class DenseNet : public Model {
 public:
  DenseNet(const std::string& name, const DenseNetSpec& spec, const ModelConfig& config)
      : Model("DenseNet") {
    FOVEA_CHECK(config.drop_path_rate == 0.0,
                "{}: DenseNet has no residual branches for stochastic depth; drop_path_rate "
                "must be 0, got {}",
                name, config.drop_path_rate);
    // Stem: x [B, H, W, in_chans] -> [B, H/4, W/4, 2k].
    features = register_module("features", std::make_shared<Sequential>());
    int64_t channels = 2 * spec.growth_rate;
    features->add("conv0",
                  std::make_shared<Conv2d>(
                      config.in_chans, channels,
                      Conv2dConfig{.kernel = 7, .stride = 2, .padding = 3, .bias = false}));
    features->add("norm0", std::make_shared<BatchNormReLU>(channels));
    features->add("pool0", std::make_shared<MaxPool2d>(3, 2, 1));

    // densenet121: 64 -> 256 | 128 -> 512 | 256 -> 1024 | 512 -> 1024 channels, at
    // 1/4, 1/8, 1/16 and 1/32 of the input.
    for (size_t i = 0; i < spec.block_config.size(); ++i) {
      const int64_t num_layers = spec.block_config[i];
      features->add("denseblock" + std::to_string(i + 1),
                    std::make_shared<DenseBlock>(num_layers, channels, spec));
      channels += num_layers * spec.growth_rate;
      if (i + 1 < spec.block_config.size()) {
        features->add("transition" + std::to_string(i + 1), transition(channels, channels / 2));
        channels /= 2;
      }
    }
    features->add("norm5", std::make_shared<BatchNormReLU>(channels));
    // timm keeps global_pool and classifier at the top level.
    set_head(std::make_shared<ClassifierHead>(
                 channels, config.num_classes,
                 ClassifierHeadConfig{.drop_rate = config.drop_rate, .fc_name = "classifier"}),
             /*name=*/"");
    init_weights();
  }

  Tensor forward_features(const Tensor& x) override {  // x: [B, H, W, in_chans]
    // The stem and three 2x2 pools leave nothing of a side below 29 pixels
    // (29 -> 15 -> 8 -> 4 -> 2 -> 1): say so, rather than fail inside a pool.
    FOVEA_CHECK(x.dim() == 4 && x.size(1) >= 29 && x.size(2) >= 29,
                "DenseNet needs NHWC images of at least 29x29 pixels, got input {}",
                shape_str(x.shape()));
    return (*features)(x);  // [B, H/32, W/32, num_features]
  }

  std::shared_ptr<Sequential> features;

 private:
  // The official torchvision init that timm keeps: He-normal (fan_in) convs, BatchNorm at
  // 1 and 0, a zero classifier bias.
  void init_weights() {
    for (const auto& [name, module] : named_modules()) {
      if (auto* conv = dynamic_cast<Conv2d*>(module)) {
        init::kaiming_normal_(conv->weight, init::FanMode::fan_in);
      }
    }
    if (head().fc) init::zeros_(head().fc->bias);
  }
};

// torchvision before 0.4 saved dense layers as "norm.1", "conv.2" (nn.Sequential names);
// torchvision still loads those files by renaming, as timm does: "denselayer3.norm.1.weight"
// -> "denselayer3.norm1.weight". Newer keys are timm's already.
std::string densenet_torchvision_key(const std::string& key) {
  static const std::regex legacy(R"(^(.*denselayer\d+\.(?:norm|relu|conv))\.([12])\.(.+)$)");
  return std::regex_replace(key, legacy, "$1$2.$3");
}

// The CheXNet checkpoint most people have (arnoweng/CheXNet) wraps torchvision's
// densenet121 as `densenet121` inside nn.DataParallel (`module.`), with the classifier as
// nn.Sequential(Linear, Sigmoid) (`classifier.0`) and pre-0.4 dense-layer names.
std::string chexnet_torchvision_key(const std::string& key) {
  std::string name = key;
  for (const std::string prefix : {"module.", "densenet121."}) {
    if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  }
  if (name.rfind("classifier.0.", 0) == 0) name = "classifier." + name.substr(13);
  return densenet_torchvision_key(name);
}

const DenseNetSpec kDenseNet121{.block_config = {6, 12, 24, 16}};

ModelInfo densenet_info(const std::string& name, const DenseNetSpec& spec) {
  return {.name = name,
          .family = "densenet",
          .default_img_size = 224,
          .smoke_img_size = 32,  // the last dense block then runs at 1x1
          .create = [name, spec](
                        const ModelConfig& c) { return std::make_shared<DenseNet>(name, spec, c); },
          .torchvision_name = name,
          .torchvision_keys = densenet_torchvision_key};
}

// CheXNet: DenseNet-121 with one logit per ChestX-ray14 finding. The paper ends the
// network in a sigmoid; fovea's model returns the 14 logits and training applies the
// sigmoid inside binary cross-entropy with logits, which is the same loss and is stable.
// The class count left at ModelConfig's default (1000) means CheXNet's 14; any other
// value is taken as asked (0 removes the classifier).
constexpr int64_t kChestXray14Labels = 14;

ModelInfo chexnet_info() {
  ModelInfo info = densenet_info("chexnet", kDenseNet121);
  info.create = [](const ModelConfig& c) {
    ModelConfig config = c;
    if (config.num_classes == ModelConfig{}.num_classes) config.num_classes = kChestXray14Labels;
    return std::make_shared<DenseNet>("chexnet", kDenseNet121, config);
  };
  info.torchvision_name = "densenet121";  // built with num_classes=14
  info.torchvision_keys = chexnet_torchvision_key;
  return info;
}

}  // namespace

std::vector<ModelInfo> densenet_models() {
  return {
      densenet_info("densenet121", kDenseNet121),
      densenet_info("densenet169", {.block_config = {6, 12, 32, 32}}),
      densenet_info("densenet201", {.block_config = {6, 12, 48, 32}}),
      chexnet_info(),
  };
}

}  // namespace fovea
