// EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks.
// Mingxing Tan and Quoc V. Le, ICML 2019. https://arxiv.org/abs/1905.11946
//
// B0 is a mobile network found by architecture search (MnasNet's space: inverted
// residual blocks with squeeze-excite and SiLU). B1..B7 scale it with one compound
// coefficient: width (channels), depth (blocks per stage) and input resolution grow
// together. As in timm (efficientnet.py, _gen_efficientnet), widths are rounded to
// multiples of 8 and stage depths rounded up; BatchNorm keeps PyTorch's eps 1e-5.
#include "models/efficientnet.h"

#include <regex>

#include "models/families.h"

namespace fovea {

EfficientNet::EfficientNet(const EfficientNetArch& arch, const ModelConfig& config)
    : Model("EfficientNet") {
  const ActivationKind act = activation_kind(arch.act);
  const int64_t stem = round_channels(arch.stem_size, arch.channel_multiplier);
  conv_stem = register_module(
      "conv_stem", std::make_shared<Conv2d>(
                       config.in_chans, stem,
                       Conv2dConfig{.kernel = 3, .stride = 2, .padding = 1, .bias = false}));
  bn1 = register_module("bn1", bn_act(stem, act));
  Stages stages = build_stages(stem, decode_arch_def(arch.arch_def, arch.depth_multiplier),
                               {.channel_multiplier = arch.channel_multiplier,
                                .act = arch.act,
                                .se_style = arch.se_style,
                                .drop_path_rate = config.drop_path_rate});
  blocks = register_module("blocks", stages.blocks);
  stages_ = stages.stages;
  conv_head = register_module(
      "conv_head",
      std::make_shared<Conv2d>(stages.out_chs, arch.num_features,
                               Conv2dConfig{.kernel = 1, .padding = 0, .bias = false}));
  bn2 = register_module("bn2", bn_act(arch.num_features, act));
  set_head(std::make_shared<ClassifierHead>(
               arch.num_features, config.num_classes,
               ClassifierHeadConfig{.drop_rate = config.drop_rate, .fc_name = "classifier"}),
           "");
  init_efficientnet_weights(*this);
}

Tensor EfficientNet::forward_features(const Tensor& x) {  // x: [B, H, W, in_chans]
  Tensor y = (*bn1)((*conv_stem)(x));                     // [B, H/2, W/2, stem], activated
  // Checkpointing recomputes each block, as timm's checkpoint_seq(blocks, flatten=True).
  for (const auto& stage : stages_) {
    y = grad_checkpointing() ? checkpoint_seq(*stage, y) : (*stage)(y);
  }
  return (*bn2)((*conv_head)(y));  // [B, H/32, W/32, num_features]
}

namespace {

// EfficientNet-B0, Table 1 of the paper: one string per stage, with the stage's input
// resolution at 224x224.
const ArchDef kEfficientNetB0 = {
    {"ds_r1_k3_s1_e1_c16_se0.25"},   // 112x112, MBConv1 3x3
    {"ir_r2_k3_s2_e6_c24_se0.25"},   // 112x112, MBConv6 3x3
    {"ir_r2_k5_s2_e6_c40_se0.25"},   // 56x56, MBConv6 5x5
    {"ir_r3_k3_s2_e6_c80_se0.25"},   // 28x28, MBConv6 3x3
    {"ir_r3_k5_s1_e6_c112_se0.25"},  // 14x14, MBConv6 5x5
    {"ir_r4_k5_s2_e6_c192_se0.25"},  // 14x14, MBConv6 5x5
    {"ir_r1_k3_s1_e6_c320_se0.25"},  // 7x7, MBConv6 3x3
};

ModelPtr efficientnet(double width, double depth, const ModelConfig& config) {
  return std::make_shared<EfficientNet>(
      EfficientNetArch{.arch_def = kEfficientNetB0,
                       .channel_multiplier = width,
                       .depth_multiplier = depth,
                       .num_features = round_channels(1280, width)},
      config);
}

// torchvision's EfficientNet has the same modules under other names:
// features.0 = stem, features.1..7 = stages (features.S.B.block.I), features.8 = head,
// classifier.1 = the linear layer. A block's parts are numbered in order, and the first
// stage's blocks have no expansion conv.
std::string efficientnet_torchvision_key(const std::string& key) {
  using Renames = std::vector<std::pair<std::string, std::string>>;
  static const Renames kOuter = {{"features.0.0.", "conv_stem."},
                                 {"features.0.1.", "bn1."},
                                 {"features.8.0.", "conv_head."},
                                 {"features.8.1.", "bn2."},
                                 {"classifier.1.", "classifier."}};
  static const Renames kDepthwiseSeparable = {
      {"block.0.0.", "conv_dw."},          {"block.0.1.", "bn1."},
      {"block.1.fc1.", "se.conv_reduce."}, {"block.1.fc2.", "se.conv_expand."},
      {"block.2.0.", "conv_pw."},          {"block.2.1.", "bn2."}};
  static const Renames kInvertedResidual = {
      {"block.0.0.", "conv_pw."},          {"block.0.1.", "bn1."},
      {"block.1.0.", "conv_dw."},          {"block.1.1.", "bn2."},
      {"block.2.fc1.", "se.conv_reduce."}, {"block.2.fc2.", "se.conv_expand."},
      {"block.3.0.", "conv_pwl."},         {"block.3.1.", "bn3."}};
  for (const auto& [from, to] : kOuter) {
    if (key.rfind(from, 0) == 0) return to + key.substr(from.size());
  }
  static const std::regex kBlockKey(R"(features\.([1-7])\.(\d+)\.(.+))");
  std::smatch m;
  if (std::regex_match(key, m, kBlockKey)) {
    const int stage = std::stoi(m[1]);
    const std::string inner = m[3];
    for (const auto& [from, to] : stage == 1 ? kDepthwiseSeparable : kInvertedResidual) {
      if (inner.rfind(from, 0) == 0) {
        return fmt::format("blocks.{}.{}.{}{}", stage - 1, m[2].str(), to,
                           inner.substr(from.size()));
      }
    }
  }
  fail("torchvision EfficientNet: unexpected key '{}'", key);
}

// The compound-scaled presets. Default sizes are timm's default_cfg input sizes for its
// pretrained weights (the paper's resolutions are 224, 240, 260, 300, 380). The paper
// trains with dropout 0.2, 0.2, 0.3, 0.3, 0.4 before the classifier and drop path 0.2;
// as in timm, these are the caller's choice (ModelConfig) and default to 0.
struct Variant {
  const char* name;
  const char* torchvision_name;
  double width, depth;
  int64_t img_size;
};
constexpr Variant kVariants[] = {
    {"efficientnet_b0", "efficientnet_b0", 1.0, 1.0, 224},
    {"efficientnet_b1", "efficientnet_b1", 1.0, 1.1, 224},
    {"efficientnet_b2", "efficientnet_b2", 1.1, 1.2, 256},
    {"efficientnet_b3", "efficientnet_b3", 1.2, 1.4, 288},
    {"efficientnet_b4", "efficientnet_b4", 1.4, 1.8, 320},
};

}  // namespace

std::vector<ModelInfo> efficientnet_models() {
  std::vector<ModelInfo> models;
  for (const Variant& v : kVariants) {
    models.push_back(
        {.name = v.name,
         .family = "efficientnet",
         .default_img_size = v.img_size,
         .smoke_img_size = 64,
         .create = [v](const ModelConfig& c) { return efficientnet(v.width, v.depth, c); },
         .torchvision_name = v.torchvision_name,
         .torchvision_keys = efficientnet_torchvision_key});
  }
  return models;
}

}  // namespace fovea
