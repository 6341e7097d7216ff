#pragma once
// The blocks that timm's EfficientNet, MobileNetV2 and MobileNetV3 are built from
// (timm/models/_efficientnet_blocks.py), registered under timm's state_dict names. Each
// norm is followed by the block's activation except where marked "linear":
//
//   ConvBnAct               conv -> bn1                      (MobileNetV3's last stage)
//   DepthwiseSeparableConv  conv_dw -> bn1 -> [se] -> conv_pw -> bn2 (linear)
//   InvertedResidual        conv_pw -> bn1 -> conv_dw -> bn2 -> [se] -> conv_pwl -> bn3 (linear)
//
// The inverted residual ("MBConv") is MobileNetV2's block (Sandler et al., 2018): expand
// with a 1x1 conv, filter with a depthwise conv, project back linearly to a narrow
// bottleneck. MnasNet, EfficientNet (Tan & Le, 2019) and MobileNetV3 (Howard et al., 2019)
// add squeeze-excite on the expanded channels. A block adds its input back (through
// DropPath) when it keeps both the resolution and the width.
#include <string>

#include "layers/activation.h"
#include "layers/conv.h"
#include "layers/norm.h"
#include "layers/regularization.h"
#include "layers/squeeze_excite.h"

namespace fovea {

// timm's make_divisible: v rounded to the nearest multiple of `divisor` (at least one
// divisor), one step further up when rounding down would lose more than 10%.
int64_t make_divisible(double v, int64_t divisor = 8);
// timm's round_channels: a width scaled by a channel multiplier, made divisible by 8.
int64_t round_channels(int64_t channels, double multiplier);

// How a model sizes and gates the squeeze-excite in its blocks (timm's se_layer partial
// and the builder's se_from_exp).
struct SqueezeExciteStyle {
  std::string gate = "sigmoid";
  std::string act;                 // empty: the block's own activation
  bool ratio_of_expanded = false;  // se_ratio of the expanded width (MobileNetV3); else of
                                   // the block's input width (EfficientNet)
  bool round_to_divisor = false;   // width by make_divisible (MobileNetV3); else by round()
};

struct BlockConfig {
  int64_t in_chs = 0;
  int64_t out_chs = 0;
  int64_t kernel = 3;  // the depthwise kernel (ConvBnAct: its only conv)
  int64_t stride = 1;
  double exp_ratio = 1.0;  // InvertedResidual: expanded width = in_chs * exp_ratio
  std::string act = "relu";
  double se_ratio = 0.0;  // 0: no squeeze-excite
  SqueezeExciteStyle se_style{};
  bool noskip = false;  // never add the input back
  bool pw_act = false;  // DepthwiseSeparableConv: activate after the pointwise conv too
  double drop_path_rate = 0.0;
};

class ConvBnAct : public Module {
 public:
  explicit ConvBnAct(const BlockConfig& config);
  Tensor forward(const Tensor& x) override;

  std::shared_ptr<Conv2d> conv;
  std::shared_ptr<BatchNorm2d> bn1;  // with the block's activation
};

class DepthwiseSeparableConv : public Module {
 public:
  explicit DepthwiseSeparableConv(const BlockConfig& config);
  Tensor forward(const Tensor& x) override;
  bool has_skip() const { return has_skip_; }

  std::shared_ptr<Conv2d> conv_dw, conv_pw;
  std::shared_ptr<BatchNorm2d> bn1, bn2;
  std::shared_ptr<SqueezeExcite> se;  // null without squeeze-excite
  std::shared_ptr<DropPath> drop_path;

 private:
  bool has_skip_;
};

class InvertedResidual : public Module {
 public:
  explicit InvertedResidual(const BlockConfig& config);
  Tensor forward(const Tensor& x) override;
  bool has_skip() const { return has_skip_; }

  std::shared_ptr<Conv2d> conv_pw, conv_dw, conv_pwl;
  std::shared_ptr<BatchNorm2d> bn1, bn2, bn3;
  std::shared_ptr<SqueezeExcite> se;  // null without squeeze-excite
  std::shared_ptr<DropPath> drop_path;

 private:
  bool has_skip_;
};

// timm's BatchNormAct2d: BatchNorm (PyTorch's eps 1e-5) with `act` applied to its output.
std::shared_ptr<BatchNorm2d> bn_act(int64_t channels, ActivationKind act);

// timm's _init_weight_goog (the TensorFlow reference's initialisation), over every
// submodule: conv weights N(0, 2 / fan_out) with fan_out = kh * kw * out / groups, conv
// biases 0, norms 1 and 0, linear weights U(+-1 / sqrt(out)) and biases 0.
void init_efficientnet_weights(Module& model);

}  // namespace fovea
