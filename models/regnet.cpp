// RegNetY, as timm builds it.
//
// Radosavovic, Kosaraju, Girshick, He, Dollár, "Designing Network Design Spaces", CVPR 2020
// (https://arxiv.org/abs/2003.13678). A RegNet is a ResNeXt-like stack of bottleneck blocks
// (bottleneck ratio 1, grouped 3x3 convolution) whose per-block widths come from a
// quantised linear function of the block index, described by four numbers: the initial
// width w0, the slope wa, the multiplier wm and the depth d. RegNetY adds a
// Squeeze-and-Excitation module after the grouped convolution.
//
// timm's "_tv" variants make the widths divisible by the group size the way torchvision
// does (rounding to the nearest multiple, at least 90% of the width), which gives
// torchvision's regnet_y_800mf and regnet_y_8gf; the plain variants use the paper's
// (pycls's) rounding.
//
// State-dict names are timm's: stem.{conv,bn}, s1..s4.bN.{conv1,conv2,se,conv3,downsample}
// .{conv,bn}, head.fc. timm's final_conv is the identity for RegNetY and holds nothing.
#include <cmath>
#include <regex>

#include "layers/classifier.h"
#include "layers/container.h"
#include "layers/conv.h"
#include "layers/init.h"
#include "layers/linear.h"
#include "layers/norm.h"
#include "layers/regularization.h"
#include "layers/squeeze_excite.h"
#include "models/families.h"

namespace fovea {

namespace {

// ---- the design space: from (w0, wa, wm, d) to four stages ----

struct RegNetConfig {
  int64_t depth;
  double w0, wa, wm;
  int64_t group_size;
  double se_ratio = 0.25;
  bool torchvision_widths = false;  // timm's group_min_ratio=0.9
  int64_t stem_width = 32;
};

struct StageSpec {
  int64_t width;
  int64_t depth;
  int64_t group_size;
};

// Python's round() and numpy's round to the nearest even on ties, as nearbyint does.
int64_t round_half_even(double x) {
  return static_cast<int64_t>(std::nearbyint(x));
}

// timm's make_divisible: the multiple of `divisor` nearest to v, but at least 90% of v.
int64_t make_divisible(int64_t v, int64_t divisor) {
  int64_t rounded = std::max(divisor, (v + divisor / 2) / divisor * divisor);
  if (static_cast<double>(rounded) < 0.9 * static_cast<double>(v)) rounded += divisor;
  return rounded;
}

std::vector<StageSpec> regnet_stages(const RegNetConfig& c) {
  // Block j has the continuous width u_j = w0 + wa * j. Quantising log_wm(u_j / w0) to an
  // integer s_j gives w_j = w0 * wm^s_j (rounded to a multiple of 8); consecutive blocks
  // with the same width form a stage.
  std::vector<StageSpec> stages;
  for (int64_t j = 0; j < c.depth; ++j) {
    const double continuous = static_cast<double>(j) * c.wa + c.w0;
    const double exponent = std::nearbyint(std::log(continuous / c.w0) / std::log(c.wm));
    const int64_t width = round_half_even(c.w0 * std::pow(c.wm, exponent) / 8.0) * 8;
    if (stages.empty() || stages.back().width != width) {
      stages.push_back({.width = width, .depth = 0, .group_size = c.group_size});
    }
    ++stages.back().depth;
  }
  FOVEA_CHECK(stages.size() == 4, "RegNet(w0={}, wa={}, wm={}, depth={}): {} stages, expected 4",
              c.w0, c.wa, c.wm, c.depth, stages.size());
  // The width must be a whole number of groups.
  for (StageSpec& stage : stages) {
    stage.group_size = std::min(stage.group_size, stage.width);
    stage.width = c.torchvision_widths ? make_divisible(stage.width, stage.group_size)
                                       : round_half_even(static_cast<double>(stage.width) /
                                                         static_cast<double>(stage.group_size)) *
                                             stage.group_size;
  }
  return stages;
}

// ---- the network ----

// Convolution + BatchNorm (+ ReLU): timm's ConvNormAct, state under conv.* and bn.*.
class ConvNormAct : public Module {
 public:
  // The conv has no bias: the BatchNorm's shift takes its place.
  ConvNormAct(int64_t in, int64_t out, Conv2dConfig conv_config, bool apply_act = true)
      : Module("ConvNormAct"), apply_act_(apply_act) {
    conv_config.bias = false;
    conv = register_module("conv", std::make_shared<Conv2d>(in, out, conv_config));
    bn = register_module("bn", std::make_shared<BatchNorm2d>(out));
  }
  Tensor forward(const Tensor& x) override {
    const Tensor y = (*bn)((*conv)(x));
    return apply_act_ ? relu(y) : y;
  }
  std::shared_ptr<Conv2d> conv;
  std::shared_ptr<BatchNorm2d> bn;

 private:
  bool apply_act_;
};

// The RegNetY block: 1x1 conv, grouped 3x3 conv (which strides), SE, 1x1 conv, plus the
// shortcut (a strided 1x1 conv + BN where the shape changes), then ReLU.
class Bottleneck : public Module {
 public:
  Bottleneck(int64_t in, int64_t out, int64_t stride, int64_t group_size, double se_ratio,
             double drop_path_rate)
      : Module("Bottleneck") {
    conv1 = register_module("conv1", std::make_shared<ConvNormAct>(in, out, Conv2dConfig{}));
    conv2 = register_module(
        "conv2",
        std::make_shared<ConvNormAct>(
            out, out,
            Conv2dConfig{.kernel = 3, .stride = stride, .padding = 1, .groups = out / group_size}));
    // The SE bottleneck is a quarter of the block's *input* width, as in pycls.
    se = register_module(
        "se", std::make_shared<SqueezeExcite>(
                  out, SqueezeExciteConfig{.reduced_channels = round_half_even(in * se_ratio)}));
    conv3 = register_module(
        "conv3", std::make_shared<ConvNormAct>(out, out, Conv2dConfig{}, /*apply_act=*/false));
    if (in != out || stride != 1) {
      downsample = register_module(
          "downsample", std::make_shared<ConvNormAct>(in, out, Conv2dConfig{.stride = stride},
                                                      /*apply_act=*/false));
    }
    drop_path = register_module("drop_path", std::make_shared<DropPath>(drop_path_rate));
  }

  Tensor forward(const Tensor& x) override {            // x: [B, H, W, in]
    Tensor y = (*conv3)((*se)((*conv2)((*conv1)(x))));  // [B, H/stride, W/stride, out]
    const Tensor shortcut = downsample ? (*downsample)(x) : x;
    return add_relu((*drop_path)(y), shortcut);  // relu(y + shortcut), fused
  }

  std::shared_ptr<ConvNormAct> conv1, conv2, conv3;
  std::shared_ptr<SqueezeExcite> se;
  std::shared_ptr<ConvNormAct> downsample;  // null when the shape stays
  std::shared_ptr<DropPath> drop_path;
};

// Blocks b1..bN of one width, run in order; b1 halves the resolution.
class RegStage : public Sequential {
 public:
  RegStage(int64_t in, const StageSpec& spec, double se_ratio,
           const std::vector<double>& drop_path_rates)
      : Sequential("RegStage") {
    for (int64_t i = 0; i < spec.depth; ++i) {
      add(fmt::format("b{}", i + 1),
          std::make_shared<Bottleneck>(i == 0 ? in : spec.width, spec.width, i == 0 ? 2 : 1,
                                       spec.group_size, se_ratio, drop_path_rates[i]));
    }
  }

  Tensor forward(const Tensor& x) override {
    return grad_checkpointing() ? checkpoint_seq(*this, x) : Sequential::forward(x);
  }
};

class RegNet : public Model {
 public:
  RegNet(const RegNetConfig& arch, const ModelConfig& config) : Model("RegNet") {
    stem = register_module("stem", std::make_shared<ConvNormAct>(
                                       config.in_chans, arch.stem_width,
                                       Conv2dConfig{.kernel = 3, .stride = 2, .padding = 1}));
    const std::vector<StageSpec> specs = regnet_stages(arch);
    std::vector<int64_t> depths;
    for (const StageSpec& spec : specs) depths.push_back(spec.depth);
    const std::vector<std::vector<double>> drop_path =
        drop_path_rates(config.drop_path_rate, depths);
    int64_t width = arch.stem_width;
    for (size_t s = 0; s < specs.size(); ++s) {
      stages_.push_back(register_module(
          fmt::format("s{}", s + 1),
          std::make_shared<RegStage>(width, specs[s], arch.se_ratio, drop_path[s])));
      width = specs[s].width;
    }
    set_head(std::make_shared<ClassifierHead>(width, config.num_classes,
                                              ClassifierHeadConfig{.drop_rate = config.drop_rate}));
    init_weights();
  }

  Tensor forward_features(const Tensor& x) override {   // x: [B, H, W, in_chans]
    Tensor y = (*stem)(x);                              // [B, H/2, W/2, 32]
    for (const auto& stage : stages_) y = (*stage)(y);  // s1..s4 halve the size each
    return y;                                           // [B, H/32, W/32, num_features]
  }

  std::shared_ptr<ConvNormAct> stem;

 private:
  // timm's _init_weights: He normal on fan-out for convs (counting the group's outputs
  // only), N(0, 0.01) for the classifier, zero biases, and the last BN of each residual
  // branch at zero so that every block starts as the identity.
  void init_weights() {
    for (auto& [name, module] : named_modules()) {
      if (auto* conv = dynamic_cast<Conv2d*>(module)) {
        const Tensor& w = conv->weight;
        const double fan_out = static_cast<double>(w.size(0) * w.size(1) * w.size(2)) /
                               static_cast<double>(conv->options().groups);
        init::normal_(conv->weight, 0.0, std::sqrt(2.0 / fan_out));
        if (conv->bias.defined()) init::zeros_(conv->bias);
      } else if (auto* linear = dynamic_cast<Linear*>(module)) {
        init::normal_(linear->weight, 0.0, 0.01);
        init::zeros_(linear->bias);
      } else if (auto* block = dynamic_cast<Bottleneck*>(module)) {
        init::zeros_(block->conv3->bn->weight);
      }
    }
  }

  std::vector<std::shared_ptr<RegStage>> stages_;  // s1..s4
};

// torchvision's RegNet names -> timm's:
//   stem.0 / stem.1                              -> stem.conv / stem.bn
//   trunk_output.block{s}.block{s}-{i}.proj.0/1  -> s{s}.b{i+1}.downsample.conv/bn
//   ....f.a / f.b / f.c .0/.1                    -> ....conv1 / conv2 / conv3 .conv/.bn
//   ....f.se.fc1/fc2                             -> ....se.fc1/fc2
//   fc                                           -> head.fc
std::string torchvision_regnet_key(const std::string& key) {
  using Renames = std::vector<std::pair<std::string, std::string>>;
  const auto rename_prefix = [](const std::string& name, const Renames& renames) {
    for (const auto& [from, to] : renames) {
      if (name.starts_with(from)) return to + name.substr(from.size());
    }
    return name;  // not torchvision's: load_state_dict will name it
  };
  static const std::regex kBlock(R"(trunk_output\.block(\d)\.block\d-(\d+)\.(.*))");
  std::smatch block;
  if (std::regex_match(key, block, kBlock)) {
    const std::string prefix = fmt::format("s{}.b{}.", block[1].str(), std::stoi(block[2]) + 1);
    return prefix + rename_prefix(block[3], {{"proj.0.", "downsample.conv."},
                                             {"proj.1.", "downsample.bn."},
                                             {"f.a.0.", "conv1.conv."},
                                             {"f.a.1.", "conv1.bn."},
                                             {"f.b.0.", "conv2.conv."},
                                             {"f.b.1.", "conv2.bn."},
                                             {"f.c.0.", "conv3.conv."},
                                             {"f.c.1.", "conv3.bn."},
                                             {"f.se.", "se."}});
  }
  return rename_prefix(key,
                       {{"stem.0.", "stem.conv."}, {"stem.1.", "stem.bn."}, {"fc.", "head.fc."}});
}

ModelInfo regnet_info(const std::string& name, const RegNetConfig& arch,
                      const std::string& torchvision_name = "") {
  ModelInfo info{
      .name = name,
      .family = "regnet",
      .default_img_size = 224,
      .smoke_img_size = 32,
      .create = [arch](const ModelConfig& c) { return std::make_shared<RegNet>(arch, c); },
      .torchvision_name = torchvision_name};
  if (!torchvision_name.empty()) info.torchvision_keys = torchvision_regnet_key;
  return info;
}

}  // namespace

std::vector<ModelInfo> regnet_models() {
  // timm's model_cfgs (Table 7 of the paper lists the same parameters).
  const RegNetConfig y_800mf{.depth = 14, .w0 = 56, .wa = 38.84, .wm = 2.4, .group_size = 16};
  const RegNetConfig y_8gf{.depth = 17, .w0 = 192, .wa = 76.82, .wm = 2.19, .group_size = 56};
  RegNetConfig y_800mf_tv = y_800mf, y_8gf_tv = y_8gf;
  y_800mf_tv.torchvision_widths = y_8gf_tv.torchvision_widths = true;
  return {
      regnet_info("regnety_008", y_800mf),
      regnet_info("regnety_080", y_8gf),
      regnet_info("regnety_008_tv", y_800mf_tv, "regnet_y_800mf"),
      regnet_info("regnety_080_tv", y_8gf_tv, "regnet_y_8gf"),
  };
}

}  // namespace fovea
