// ResNet, ResNeXt and SE-ResNeXt, built as timm's ResNet class builds them.
//
//   He, Zhang, Ren, Sun. "Deep Residual Learning for Image Recognition." CVPR 2016.
//   arXiv:1512.03385
//   Xie, Girshick, Dollar, Tu, He. "Aggregated Residual Transformations for Deep Neural
//   Networks." CVPR 2017. arXiv:1611.05431 (ResNeXt: a grouped 3x3 conv in the bottleneck)
//   Hu, Shen, Sun. "Squeeze-and-Excitation Networks." CVPR 2018. arXiv:1709.01507
//
// A 7x7 stride-2 stem and a 3x3 max pool take the image to 1/4 of its size; four stages
// of residual blocks (layer1..layer4) follow, the last three halving the resolution in
// their first block. As in torchvision and timm ("ResNet v1.5"), a bottleneck strides in
// its 3x3 conv rather than in the first 1x1, and the shortcut of a block that changes
// shape is a strided 1x1 conv with BatchNorm (downsample.0/.1). Names are timm's, which for
// these models are torchvision's too.
#include "layers/container.h"
#include "layers/conv.h"
#include "layers/init.h"
#include "layers/linear.h"
#include "layers/norm.h"
#include "layers/pooling.h"
#include "layers/regularization.h"
#include "layers/squeeze_excite.h"
#include "models/families.h"

namespace fovea {

namespace {

enum class BlockType { basic, bottleneck };

struct ResNetSpec {
  BlockType block = BlockType::bottleneck;
  std::array<int64_t, 4> depths{};
  int64_t cardinality = 1;  // groups of the bottleneck's 3x3 conv (ResNeXt)
  int64_t base_width = 64;  // channels per group at planes = 64
  bool squeeze_excite = false;
};

int64_t expansion(BlockType block) {
  return block == BlockType::basic ? 1 : 4;
}

// timm's make_divisible(channels / 16, 8, round_limit=0), the width of SEModule's
// bottleneck: the nearest multiple of 8, at least 8.
int64_t squeeze_channels(int64_t channels) {
  const double reduced = static_cast<double>(channels) / 16.0;
  return std::max<int64_t>(8, static_cast<int64_t>(reduced + 4.0) / 8 * 8);
}

// What every residual block shares: the shortcut, the optional squeeze-excite on the
// residual branch, stochastic depth, and the ReLU after the sum.
//   y = relu(drop_path(se(residual(x))) + shortcut(x))
class ResidualBlock : public Module {
 public:
  using Module::Module;

  Tensor forward(const Tensor& x) override {
    Tensor branch = residual(x);
    if (se) branch = (*se)(branch);
    if (drop_path) branch = (*drop_path)(branch);
    const Tensor shortcut = downsample ? (*downsample)(x) : x;
    return relu(add(branch, shortcut));
  }

  // Zeroes the scale of the branch's last BatchNorm, so that every block starts as the
  // identity (Goyal et al., 2017); timm does this by default (zero_init_last=True).
  virtual void zero_init_last() = 0;

  std::shared_ptr<SqueezeExcite> se;
  std::shared_ptr<Sequential> downsample;  // 0: 1x1 conv, 1: BatchNorm
  std::shared_ptr<DropPath> drop_path;

 protected:
  virtual Tensor residual(const Tensor& x) = 0;

  // Registers the shared parts after the block's own convs, in timm's order.
  void register_tail(int64_t in_channels, int64_t out_channels, int64_t stride,
                     const ResNetSpec& spec, double drop_path_rate) {
    if (spec.squeeze_excite) {
      se = register_module(
          "se", std::make_shared<SqueezeExcite>(
                    out_channels,
                    SqueezeExciteConfig{.reduced_channels = squeeze_channels(out_channels)}));
    }
    if (stride != 1 || in_channels != out_channels) {
      downsample = register_module("downsample", std::make_shared<Sequential>());
      downsample->add(std::make_shared<Conv2d>(in_channels, out_channels, 1, stride, 1,
                                               /*bias=*/false));
      downsample->add(std::make_shared<BatchNorm2d>(out_channels));
    }
    if (drop_path_rate > 0.0) {
      drop_path = register_module("drop_path", std::make_shared<DropPath>(drop_path_rate));
    }
  }
};

// ResNet-18/34: two 3x3 convs.
class BasicBlock : public ResidualBlock {
 public:
  BasicBlock(int64_t in_channels, int64_t planes, int64_t stride, const ResNetSpec& spec,
             double drop_path_rate)
      : ResidualBlock("BasicBlock") {
    conv1 = register_module("conv1", std::make_shared<Conv2d>(in_channels, planes, 3, stride, 1,
                                                              /*bias=*/false));
    bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(planes));
    conv2 =
        register_module("conv2", std::make_shared<Conv2d>(planes, planes, 3, 1, 1, /*bias=*/false));
    bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(planes));
    register_tail(in_channels, planes, stride, spec, drop_path_rate);
  }

  void zero_init_last() override { init::zeros_(bn2->weight); }

  std::shared_ptr<Conv2d> conv1, conv2;
  std::shared_ptr<BatchNorm2d> bn1, bn2;

 protected:
  Tensor residual(const Tensor& x) override {    // x: [B, H, W, in]
    const Tensor y = relu((*bn1)((*conv1)(x)));  // [B, H/stride, W/stride, planes]
    return (*bn2)((*conv2)(y));
  }
};

// ResNet-50 and deeper: 1x1 reduce, 3x3 (grouped for ResNeXt, strided), 1x1 expand x4.
class Bottleneck : public ResidualBlock {
 public:
  Bottleneck(int64_t in_channels, int64_t planes, int64_t stride, const ResNetSpec& spec,
             double drop_path_rate)
      : ResidualBlock("Bottleneck") {
    // ResNeXt-50 32x4d at planes 64: 32 groups of 4 channels = 128.
    const int64_t width = planes * spec.base_width / 64 * spec.cardinality;
    const int64_t out_channels = planes * expansion(BlockType::bottleneck);
    conv1 = register_module("conv1",
                            std::make_shared<Conv2d>(in_channels, width, 1, 1, 1, /*bias=*/false));
    bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(width));
    conv2 = register_module("conv2", std::make_shared<Conv2d>(width, width, 3, stride,
                                                              spec.cardinality, /*bias=*/false));
    bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(width));
    conv3 = register_module("conv3",
                            std::make_shared<Conv2d>(width, out_channels, 1, 1, 1, /*bias=*/false));
    bn3 = register_module("bn3", std::make_shared<BatchNorm2d>(out_channels));
    register_tail(in_channels, out_channels, stride, spec, drop_path_rate);
  }

  void zero_init_last() override { init::zeros_(bn3->weight); }

  std::shared_ptr<Conv2d> conv1, conv2, conv3;
  std::shared_ptr<BatchNorm2d> bn1, bn2, bn3;

 protected:
  Tensor residual(const Tensor& x) override {  // x: [B, H, W, in]
    Tensor y = relu((*bn1)((*conv1)(x)));      // [B, H, W, width]
    y = relu((*bn2)((*conv2)(y)));             // [B, H/stride, W/stride, width]
    return (*bn3)((*conv3)(y));                // [B, H/stride, W/stride, 4 * planes]
  }
};

class ResNet : public Model {
 public:
  ResNet(const ResNetSpec& spec, const ModelConfig& config) : Model("ResNet") {
    // Stem: x [B, H, W, in_chans] -> [B, H/4, W/4, 64].
    conv1 = register_module("conv1", std::make_shared<Conv2d>(config.in_chans, 64, 7, 2, 1,
                                                              /*bias=*/false));
    bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(64));
    act1 = register_module("act1", make_activation("relu"));
    maxpool = register_module("maxpool", std::make_shared<MaxPool2d>(3, 2, 1));

    // Stages: layer{i+1} has 64 * 2^i planes and, for i > 0, halves the resolution.
    const int64_t total_blocks = spec.depths[0] + spec.depths[1] + spec.depths[2] + spec.depths[3];
    int64_t channels = 64;
    int64_t block_index = 0;
    for (int stage = 0; stage < 4; ++stage) {
      const int64_t planes = int64_t{64} << stage;
      auto layer =
          register_module("layer" + std::to_string(stage + 1), std::make_shared<Sequential>());
      for (int64_t i = 0; i < spec.depths[stage]; ++i) {
        const int64_t stride = (stage > 0 && i == 0) ? 2 : 1;
        // timm's linear stochastic-depth schedule over all blocks of the network.
        const double drop_path_rate = config.drop_path_rate * static_cast<double>(block_index++) /
                                      static_cast<double>(std::max<int64_t>(total_blocks - 1, 1));
        std::shared_ptr<ResidualBlock> block;
        if (spec.block == BlockType::basic) {
          block = std::make_shared<BasicBlock>(channels, planes, stride, spec, drop_path_rate);
        } else {
          block = std::make_shared<Bottleneck>(channels, planes, stride, spec, drop_path_rate);
        }
        blocks_.push_back(layer->add(block));
        channels = planes * expansion(spec.block);
      }
    }
    num_features_ = channels;  // 512 (basic) or 2048 (bottleneck)

    global_pool = register_module("global_pool", std::make_shared<GlobalAvgPool>());
    head_drop = register_module("head_drop", std::make_shared<Dropout>(config.drop_rate));
    reset_classifier(config.num_classes);
    init_weights();
  }

  Tensor forward_features(const Tensor& x) override {     // x: [B, H, W, in_chans]
    Tensor y = (*maxpool)((*act1)((*bn1)((*conv1)(x))));  // [B, H/4, W/4, 64]
    for (const std::shared_ptr<ResidualBlock>& block : blocks_) {
      // One checkpoint per block, as timm's checkpoint_seq over the flattened stages.
      y = grad_checkpointing()
              ? checkpoint([block](const TensorList& in) { return (*block)(in[0]); }, {y})
              : (*block)(y);
    }
    return y;  // [B, H/32, W/32, num_features]
  }

  Tensor forward_head(const Tensor& features, bool pre_logits) override {
    const Tensor pooled = (*head_drop)((*global_pool)(features));  // [B, num_features]
    return pre_logits || !fc_ ? pooled : (*fc_)(pooled);
  }

  void reset_classifier(int64_t num_classes) override {
    fc_ = num_classes > 0 ? std::make_shared<Linear>(num_features_, num_classes) : nullptr;
    replace_module("fc", fc_);
  }
  std::string classifier_name() const override { return "fc"; }
  int64_t num_features() const override { return num_features_; }

  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<Activation> act1;
  std::shared_ptr<MaxPool2d> maxpool;
  std::shared_ptr<GlobalAvgPool> global_pool;
  std::shared_ptr<Dropout> head_drop;

 private:
  // timm's ResNet.init_weights: He-normal (fan_out) for every conv, the squeeze-excite
  // convs included; BatchNorm at 1 and 0 except the zeroed last one of each block; the
  // classifier keeps PyTorch's default.
  void init_weights() {
    for (const auto& [name, module] : named_modules()) {
      if (auto* conv = dynamic_cast<Conv2d*>(module)) {
        init::kaiming_normal_(conv->weight, init::FanMode::fan_out);
      }
    }
    for (const std::shared_ptr<ResidualBlock>& block : blocks_) block->zero_init_last();
  }

  std::vector<std::shared_ptr<ResidualBlock>> blocks_;  // layer1..layer4, in order
  std::shared_ptr<Linear> fc_;
  int64_t num_features_ = 0;
};

ModelInfo resnet_info(const std::string& name, const ResNetSpec& spec) {
  return {.name = name,
          .family = "resnet",
          .default_img_size = 224,
          .smoke_img_size = 32,  // layer4 then runs at 1x1
          .create = [spec](const ModelConfig& c) { return std::make_shared<ResNet>(spec, c); }};
}

// torchvision's ResNets and ResNeXts use timm's names already.
ModelInfo with_torchvision(ModelInfo info) {
  info.torchvision_name = info.name;
  return info;
}

}  // namespace

std::vector<ModelInfo> resnet_models() {
  using enum BlockType;
  return {
      with_torchvision(resnet_info("resnet18", {.block = basic, .depths = {2, 2, 2, 2}})),
      with_torchvision(resnet_info("resnet34", {.block = basic, .depths = {3, 4, 6, 3}})),
      with_torchvision(resnet_info("resnet50", {.block = bottleneck, .depths = {3, 4, 6, 3}})),
      with_torchvision(resnet_info("resnet101", {.block = bottleneck, .depths = {3, 4, 23, 3}})),
      with_torchvision(resnet_info("resnet152", {.block = bottleneck, .depths = {3, 8, 36, 3}})),
      with_torchvision(resnet_info(
          "resnext50_32x4d",
          {.block = bottleneck, .depths = {3, 4, 6, 3}, .cardinality = 32, .base_width = 4})),
      resnet_info("seresnext50_32x4d", {.block = bottleneck,
                                        .depths = {3, 4, 6, 3},
                                        .cardinality = 32,
                                        .base_width = 4,
                                        .squeeze_excite = true}),
  };
}

}  // namespace fovea
