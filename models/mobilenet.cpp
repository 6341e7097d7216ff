// MobileNetV2: Inverted Residuals and Linear Bottlenecks.
// Mark Sandler, Andrew Howard, Menglong Zhu, Andrey Zhmoginov, Liang-Chieh Chen. CVPR 2018.
// https://arxiv.org/abs/1801.04381
//
// Searching for MobileNetV3.
// Andrew Howard, Mark Sandler, Grace Chu, Liang-Chieh Chen, Bo Chen, Mingxing Tan, Weijun
// Wang, Yukun Zhu, Ruoming Pang, Vijay Vasudevan, Quoc V. Le, Hartwig Adam. ICCV 2019.
// https://arxiv.org/abs/1905.02244
//
// MobileNetV2 introduced the inverted residual: a narrow linear bottleneck, expanded 6x for
// a depthwise 3x3 conv with ReLU6. timm builds it with its EfficientNet class. MobileNetV3
// came out of a search over the same blocks with squeeze-excite (gated by a hard sigmoid,
// reduced to a multiple of 8 of the expanded width) and the hard-swish activation in the
// deeper half, and an "efficient last stage": pool first, then a 1x1 conv head without a
// norm, then the classifier. As in timm (mobilenetv3.py, efficientnet.py).
#include <regex>

#include "models/efficientnet.h"
#include "models/families.h"

namespace fovea {

namespace {

class MobileNetV3 : public Model {
 public:
  MobileNetV3(const ArchDef& arch_def, int64_t num_features, const ModelConfig& config)
      : Model("MobileNetV3") {
    const int64_t stem = 16;
    conv_stem = register_module(
        "conv_stem", std::make_shared<Conv2d>(
                         config.in_chans, stem,
                         Conv2dConfig{.kernel = 3, .stride = 2, .padding = 1, .bias = false}));
    bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(stem));
    Stages stages = build_stages(stem, decode_arch_def(arch_def),
                                 {.act = "hard_swish",
                                  .se_style = {.gate = "hard_sigmoid",
                                               .act = "relu",
                                               .ratio_of_expanded = true,
                                               .round_to_divisor = true},
                                  .drop_path_rate = config.drop_path_rate});
    blocks = register_module("blocks", stages.blocks);
    stages_ = stages.stages;
    conv_head = register_module("conv_head",
                                std::make_shared<Conv2d>(stages.out_chs, num_features,
                                                         Conv2dConfig{.kernel = 1, .padding = 0}));
    // The classifier reads the head conv's output, so the head is sized for num_features.
    set_head(std::make_shared<ClassifierHead>(
                 num_features, config.num_classes,
                 ClassifierHeadConfig{.drop_rate = config.drop_rate, .fc_name = "classifier"}),
             "");
    init_efficientnet_weights(*this);
  }

  Tensor forward_features(const Tensor& x) override {  // x: [B, H, W, in_chans]
    Tensor y = hardswish((*bn1)((*conv_stem)(x)));     // [B, H/2, W/2, 16]
    // Checkpointing recomputes each block, as timm's checkpoint_seq(blocks, flatten=True).
    for (const auto& stage : stages_) {
      y = grad_checkpointing() ? checkpoint_seq(*stage, y) : (*stage)(y);
    }
    return y;  // [B, H/32, W/32, 960]
  }

  // The efficient last stage: pool, then the 1x1 head conv and hard-swish, then classify.
  Tensor forward_head(const Tensor& features, bool pre_logits) override {
    Tensor pooled = head().pool(features);                            // [B, 960]
    pooled = pooled.reshape({pooled.size(0), 1, 1, pooled.size(1)});  // [B, 1, 1, 960]
    const Tensor y = hardswish((*conv_head)(pooled)).flatten(1);      // [B, 1280]
    return head().classify(y, pre_logits);                            // [B, num_classes]
  }

  std::shared_ptr<Conv2d> conv_stem;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<Sequential> blocks;
  std::shared_ptr<Conv2d> conv_head;  // with a bias and no norm
  // The head (global_pool, classifier) sits inline at the top level: head().

 private:
  std::vector<std::shared_ptr<Sequential>> stages_;  // blocks' stages, for checkpointing
};

// MobileNetV2, Table 2 of the paper (t expansion, c channels, n repeats, s stride), with
// the stage's input resolution at 224x224.
const ArchDef kMobileNetV2 = {
    {"ds_r1_k3_s1_c16"},      // 112x112, t=1
    {"ir_r2_k3_s2_e6_c24"},   // 112x112
    {"ir_r3_k3_s2_e6_c32"},   // 56x56
    {"ir_r4_k3_s2_e6_c64"},   // 28x28
    {"ir_r3_k3_s1_e6_c96"},   // 14x14
    {"ir_r3_k3_s2_e6_c160"},  // 14x14
    {"ir_r1_k3_s1_e6_c320"},  // 7x7
};

// MobileNetV3-Large, Table 1 of the paper, with the stage's input resolution at 224x224;
// nre = ReLU, hard-swish elsewhere.
const ArchDef kMobileNetV3Large = {
    {"ds_r1_k3_s1_e1_c16_nre"},                                              // 112x112
    {"ir_r1_k3_s2_e4_c24_nre", "ir_r1_k3_s1_e3_c24_nre"},                    // 112x112
    {"ir_r3_k5_s2_e3_c40_se0.25_nre"},                                       // 56x56
    {"ir_r1_k3_s2_e6_c80", "ir_r1_k3_s1_e2.5_c80", "ir_r2_k3_s1_e2.3_c80"},  // 28x28
    {"ir_r2_k3_s1_e6_c112_se0.25"},                                          // 14x14
    {"ir_r3_k5_s2_e6_c160_se0.25"},                                          // 14x14
    {"cn_r1_k1_s1_c960"},                                                    // 7x7
};

// torchvision's MobileNetV2 numbers its 17 blocks flatly (features.1..17, parts under
// .conv.I), with the stem at features.0, the head conv at features.18 and the linear layer
// at classifier.1. The first block has no expansion conv.
std::string mobilenetv2_torchvision_key(const std::string& key) {
  using Renames = std::vector<std::pair<std::string, std::string>>;
  static const Renames kOuter = {{"features.0.0.", "conv_stem."},
                                 {"features.0.1.", "bn1."},
                                 {"features.18.0.", "conv_head."},
                                 {"features.18.1.", "bn2."},
                                 {"classifier.1.", "classifier."}};
  static const Renames kDepthwiseSeparable = {
      {"0.0.", "conv_dw."}, {"0.1.", "bn1."}, {"1.", "conv_pw."}, {"2.", "bn2."}};
  static const Renames kInvertedResidual = {{"0.0.", "conv_pw."}, {"0.1.", "bn1."},
                                            {"1.0.", "conv_dw."}, {"1.1.", "bn2."},
                                            {"2.", "conv_pwl."},  {"3.", "bn3."}};
  static const int64_t kStageRepeats[] = {1, 2, 3, 4, 3, 3, 1};
  for (const auto& [from, to] : kOuter) {
    if (key.rfind(from, 0) == 0) return to + key.substr(from.size());
  }
  static const std::regex kBlockKey(R"(features\.(\d+)\.conv\.(.+))");
  std::smatch m;
  if (std::regex_match(key, m, kBlockKey)) {
    // features.N is the (N-1)-th block overall: find its stage and index in the stage.
    int64_t stage = 0, block = std::stoll(m[1]) - 1;
    while (stage < 7 && block >= kStageRepeats[stage]) block -= kStageRepeats[stage++];
    const std::string inner = m[2];
    for (const auto& [from, to] : stage == 0 ? kDepthwiseSeparable : kInvertedResidual) {
      if (stage < 7 && block >= 0 && inner.rfind(from, 0) == 0) {
        return fmt::format("blocks.{}.{}.{}{}", stage, block, to, inner.substr(from.size()));
      }
    }
  }
  fail("torchvision MobileNetV2: unexpected key '{}'", key);
}

}  // namespace

std::vector<ModelInfo> mobilenet_models() {
  return {
      {.name = "mobilenetv2_100",
       .family = "mobilenet",
       .default_img_size = 224,
       .smoke_img_size = 64,
       .create =
           [](const ModelConfig& c) {
             return std::make_shared<EfficientNet>(
                 EfficientNetArch{.arch_def = kMobileNetV2, .num_features = 1280, .act = "relu6"},
                 c);
           },
       .torchvision_name = "mobilenet_v2",
       .torchvision_keys = mobilenetv2_torchvision_key},
      // torchvision's mobilenet_v3_large has the same parameter count but not timm's model:
      // BatchNorm eps 1e-3 (timm: 1e-5) and a Linear head (timm: a 1x1 conv), so its
      // weights are not offered for import here.
      {.name = "mobilenetv3_large_100",
       .family = "mobilenet",
       .default_img_size = 224,
       .smoke_img_size = 64,
       .create =
           [](const ModelConfig& c) {
             return std::make_shared<MobileNetV3>(kMobileNetV3Large, 1280, c);
           }},
  };
}

}  // namespace fovea
