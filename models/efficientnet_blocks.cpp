#include "models/efficientnet_blocks.h"

#include <algorithm>
#include <cmath>

#include "layers/init.h"
#include "layers/linear.h"

namespace fovea {

int64_t make_divisible(double v, int64_t divisor) {
  const double half = static_cast<double>(divisor) / 2.0;
  int64_t rounded = std::max(divisor, static_cast<int64_t>(v + half) / divisor * divisor);
  if (static_cast<double>(rounded) < 0.9 * v) rounded += divisor;
  return rounded;
}

int64_t round_channels(int64_t channels, double multiplier) {
  return make_divisible(static_cast<double>(channels) * multiplier);
}

namespace {

// The squeeze-excite of a block whose depthwise conv has `channels` outputs, or null.
std::shared_ptr<SqueezeExcite> make_squeeze_excite(const BlockConfig& config, int64_t channels) {
  if (config.se_ratio <= 0.0) return nullptr;
  const SqueezeExciteStyle& style = config.se_style;
  // The same arithmetic as timm, so that widths agree to the channel: EfficientNet divides
  // the ratio by the expansion to size the bottleneck from the block's input width.
  const double ratio =
      style.ratio_of_expanded ? config.se_ratio : config.se_ratio / config.exp_ratio;
  const double width = static_cast<double>(channels) * ratio;
  // std::nearbyint rounds half to even, as Python's round() does.
  const int64_t reduced =
      style.round_to_divisor ? make_divisible(width) : static_cast<int64_t>(std::nearbyint(width));
  return std::make_shared<SqueezeExcite>(
      channels, SqueezeExciteConfig{.reduced_channels = reduced,
                                    .act = style.act.empty() ? config.act : style.act,
                                    .gate = style.gate,
                                    .reduce_name = "conv_reduce",
                                    .expand_name = "conv_expand"});
}

// timm's create_conv2d in these blocks: no bias (a norm follows), symmetric padding.
std::shared_ptr<Conv2d> create_conv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1,
                                      int64_t groups = 1) {
  return std::make_shared<Conv2d>(in, out,
                                  Conv2dConfig{.kernel = kernel,
                                               .stride = stride,
                                               .padding = symmetric_padding(kernel, stride),
                                               .groups = groups,
                                               .bias = false});
}

}  // namespace

std::shared_ptr<BatchNorm2d> bn_act(int64_t channels, ActivationKind act) {
  return std::make_shared<BatchNorm2d>(channels, 1e-5, 0.1, act);
}

ConvBnAct::ConvBnAct(const BlockConfig& config) : Module("ConvBnAct") {
  conv = register_module(
      "conv", create_conv2d(config.in_chs, config.out_chs, config.kernel, config.stride));
  bn1 = register_module("bn1", bn_act(config.out_chs, activation_kind(config.act)));
}

Tensor ConvBnAct::forward(const Tensor& x) {
  return (*bn1)((*conv)(x));
}

DepthwiseSeparableConv::DepthwiseSeparableConv(const BlockConfig& config)
    : Module("DepthwiseSeparableConv"),
      has_skip_(config.stride == 1 && config.in_chs == config.out_chs && !config.noskip) {
  const int64_t in = config.in_chs;
  const ActivationKind act = activation_kind(config.act);
  conv_dw = register_module("conv_dw",
                            create_conv2d(in, in, config.kernel, config.stride, /*groups=*/in));
  bn1 = register_module("bn1", bn_act(in, act));
  se = make_squeeze_excite(config, in);
  if (se) register_module("se", se);
  conv_pw = register_module("conv_pw", create_conv2d(in, config.out_chs, 1));
  bn2 = register_module("bn2",
                        bn_act(config.out_chs, config.pw_act ? act : ActivationKind::identity));
  drop_path = register_module("drop_path", std::make_shared<DropPath>(config.drop_path_rate));
}

Tensor DepthwiseSeparableConv::forward(const Tensor& x) {  // x: [B, H, W, in]
  Tensor y = (*bn1)((*conv_dw)(x));                        // [B, H/s, W/s, in]
  if (se) y = (*se)(y);
  y = (*bn2)((*conv_pw)(y));  // [B, H/s, W/s, out], activated when pw_act
  return has_skip_ ? add((*drop_path)(y), x) : y;
}

InvertedResidual::InvertedResidual(const BlockConfig& config)
    : Module("InvertedResidual"),
      has_skip_(config.stride == 1 && config.in_chs == config.out_chs && !config.noskip) {
  const ActivationKind act = activation_kind(config.act);
  const int64_t mid = make_divisible(static_cast<double>(config.in_chs) * config.exp_ratio);
  conv_pw = register_module("conv_pw", create_conv2d(config.in_chs, mid, 1));
  bn1 = register_module("bn1", bn_act(mid, act));
  conv_dw = register_module("conv_dw", create_conv2d(mid, mid, config.kernel, config.stride, mid));
  bn2 = register_module("bn2", bn_act(mid, act));
  se = make_squeeze_excite(config, mid);
  if (se) register_module("se", se);
  conv_pwl = register_module("conv_pwl", create_conv2d(mid, config.out_chs, 1));
  bn3 = register_module("bn3", std::make_shared<BatchNorm2d>(config.out_chs));
  drop_path = register_module("drop_path", std::make_shared<DropPath>(config.drop_path_rate));
}

Tensor InvertedResidual::forward(const Tensor& x) {  // x: [B, H, W, in]
  Tensor y = (*bn1)((*conv_pw)(x));                  // [B, H, W, mid]: expand
  y = (*bn2)((*conv_dw)(y));                         // [B, H/s, W/s, mid]: filter
  if (se) y = (*se)(y);
  y = (*bn3)((*conv_pwl)(y));  // [B, H/s, W/s, out]: linear projection
  return has_skip_ ? add((*drop_path)(y), x) : y;
}

void init_efficientnet_weights(Module& model) {
  for (const auto& [name, module] : model.named_modules()) {
    if (auto* conv = dynamic_cast<Conv2d*>(module)) {
      const Tensor& w = conv->weight;  // [out, kh, kw, in / groups]
      const double fan_out =
          static_cast<double>(w.size(0) * w.size(1) * w.size(2) / conv->options().groups);
      init::normal_(conv->weight, 0.0, std::sqrt(2.0 / fan_out));
      if (conv->bias.defined()) init::zeros_(conv->bias);
    } else if (auto* bn = dynamic_cast<BatchNorm2d*>(module)) {
      init::ones_(bn->weight);
      init::zeros_(bn->bias);
    } else if (auto* linear = dynamic_cast<Linear*>(module)) {
      const double range = 1.0 / std::sqrt(static_cast<double>(linear->out_features()));
      init::uniform_(linear->weight, -range, range);
      if (linear->bias.defined()) init::zeros_(linear->bias);
    }
  }
}

}  // namespace fovea
