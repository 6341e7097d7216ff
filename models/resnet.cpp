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

// timm's downsample_conv: the shortcut of a block that changes shape, a strided 1x1 conv
// and BatchNorm (downsample.0, downsample.1).
std::shared_ptr<Sequential> downsample_conv(int64_t in_channels, int64_t out_channels,
                                            int64_t stride) {
  auto downsample = std::make_shared<Sequential>();
  downsample->add(std::make_shared<Conv2d>(
      in_channels, out_channels,
      Conv2dConfig{.kernel = 1, .stride = stride, .padding = 0, .bias = false}));
  downsample->add(std::make_shared<BatchNorm2d>(out_channels));
  return downsample;
}

std::shared_ptr<SqueezeExcite> squeeze_excite(int64_t channels) {
  return std::make_shared<SqueezeExcite>(
      channels, SqueezeExciteConfig{.reduced_channels = squeeze_channels(channels)});
}

// ResNet-18/34: two 3x3 convs.
class BasicBlock : public Module {
 public:
  BasicBlock(int64_t in_channels, int64_t planes, int64_t stride, const ResNetSpec& spec,
             double drop_path_rate)
      : Module("BasicBlock") {
    conv1 = register_module(
        "conv1", std::make_shared<Conv2d>(
                     in_channels, planes,
                     Conv2dConfig{.kernel = 3, .stride = stride, .padding = 1, .bias = false}));
    bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(planes));
    conv2 = register_module(
        "conv2", std::make_shared<Conv2d>(planes, planes,
                                          Conv2dConfig{.kernel = 3, .padding = 1, .bias = false}));
    bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(planes));
    if (spec.squeeze_excite) se = register_module("se", squeeze_excite(planes));
    if (stride != 1 || in_channels != planes) {
      downsample = register_module("downsample", downsample_conv(in_channels, planes, stride));
    }
    if (drop_path_rate > 0.0) {
      drop_path = register_module("drop_path", std::make_shared<DropPath>(drop_path_rate));
    }
  }

  Tensor forward(const Tensor& x) override {  // x: [B, H, W, in]
    Tensor y = relu((*bn1)((*conv1)(x)));     // [B, H/stride, W/stride, planes]
    y = (*bn2)((*conv2)(y));
    if (se) y = (*se)(y);
    if (drop_path) y = (*drop_path)(y);
    const Tensor shortcut = downsample ? (*downsample)(x) : x;
    return add_relu(y, shortcut);  // relu(y + shortcut), fused
  }

  // Zeroes the scale of the branch's last BatchNorm, so that every block starts as the
  // identity (Goyal et al., 2017); timm does this by default (zero_init_last=True).
  void zero_init_last() { init::zeros_(bn2->weight); }

  std::shared_ptr<Conv2d> conv1, conv2;
  std::shared_ptr<BatchNorm2d> bn1, bn2;
  std::shared_ptr<SqueezeExcite> se;       // SE-ResNeXt only
  std::shared_ptr<Sequential> downsample;  // null when the shape stays
  std::shared_ptr<DropPath> drop_path;     // null without stochastic depth
};

// ResNet-50 and deeper: 1x1 reduce, 3x3 (grouped for ResNeXt, strided), 1x1 expand x4.
class Bottleneck : public Module {
 public:
  Bottleneck(int64_t in_channels, int64_t planes, int64_t stride, const ResNetSpec& spec,
             double drop_path_rate)
      : Module("Bottleneck") {
    // ResNeXt-50 32x4d at planes 64: 32 groups of 4 channels = 128.
    const int64_t width = planes * spec.base_width / 64 * spec.cardinality;
    const int64_t out_channels = planes * expansion(BlockType::bottleneck);
    conv1 = register_module(
        "conv1", std::make_shared<Conv2d>(in_channels, width,
                                          Conv2dConfig{.kernel = 1, .padding = 0, .bias = false}));
    bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(width));
    conv2 =
        register_module("conv2", std::make_shared<Conv2d>(width, width,
                                                          Conv2dConfig{.kernel = 3,
                                                                       .stride = stride,
                                                                       .padding = 1,
                                                                       .groups = spec.cardinality,
                                                                       .bias = false}));
    bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(width));
    conv3 = register_module(
        "conv3", std::make_shared<Conv2d>(width, out_channels,
                                          Conv2dConfig{.kernel = 1, .padding = 0, .bias = false}));
    bn3 = register_module("bn3", std::make_shared<BatchNorm2d>(out_channels));
    if (spec.squeeze_excite) se = register_module("se", squeeze_excite(out_channels));
    if (stride != 1 || in_channels != out_channels) {
      downsample =
          register_module("downsample", downsample_conv(in_channels, out_channels, stride));
    }
    if (drop_path_rate > 0.0) {
      drop_path = register_module("drop_path", std::make_shared<DropPath>(drop_path_rate));
    }
  }

  Tensor forward(const Tensor& x) override {  // x: [B, H, W, in]
    Tensor y = relu((*bn1)((*conv1)(x)));     // [B, H, W, width]
    y = relu((*bn2)((*conv2)(y)));            // [B, H/stride, W/stride, width]
    y = (*bn3)((*conv3)(y));                  // [B, H/stride, W/stride, 4 * planes]
    if (se) y = (*se)(y);
    if (drop_path) y = (*drop_path)(y);
    const Tensor shortcut = downsample ? (*downsample)(x) : x;
    return add_relu(y, shortcut);  // relu(y + shortcut), fused
  }

  void zero_init_last() { init::zeros_(bn3->weight); }

  std::shared_ptr<Conv2d> conv1, conv2, conv3;
  std::shared_ptr<BatchNorm2d> bn1, bn2, bn3;
  std::shared_ptr<SqueezeExcite> se;       // SE-ResNeXt only
  std::shared_ptr<Sequential> downsample;  // null when the shape stays
  std::shared_ptr<DropPath> drop_path;     // null without stochastic depth
};

class ResNet : public Model {
 public:
  ResNet(const ResNetSpec& spec, const ModelConfig& config) : Model("ResNet") {
    // Stem: x [B, H, W, in_chans] -> [B, H/4, W/4, 64].
    conv1 = register_module(
        "conv1", std::make_shared<Conv2d>(
                     config.in_chans, 64,
                     Conv2dConfig{.kernel = 7, .stride = 2, .padding = 3, .bias = false}));
    bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(64));
    act1 = register_module("act1", make_activation("relu"));
    maxpool = register_module("maxpool", std::make_shared<MaxPool2d>(3, 2, 1));

    // Stages: layer{s+1} has 64 * 2^s planes and, for s > 0, halves the resolution in its
    // first block.
    const std::vector<std::vector<double>> drop_path =
        drop_path_rates(config.drop_path_rate, {spec.depths.begin(), spec.depths.end()});
    int64_t channels = 64;
    for (int stage = 0; stage < 4; ++stage) {
      const int64_t planes = int64_t{64} << stage;
      auto layer =
          register_module("layer" + std::to_string(stage + 1), std::make_shared<Sequential>());
      for (int64_t i = 0; i < spec.depths[stage]; ++i) {
        const int64_t stride = (stage > 0 && i == 0) ? 2 : 1;
        const double rate = drop_path[stage][i];
        if (spec.block == BlockType::basic) {
          layer->add(std::make_shared<BasicBlock>(channels, planes, stride, spec, rate));
        } else {
          layer->add(std::make_shared<Bottleneck>(channels, planes, stride, spec, rate));
        }
        channels = planes * expansion(spec.block);
      }
      layers_.push_back(layer);
    }
    // 512 (basic) or 2048 (bottleneck) features; timm keeps global_pool and fc at the top.
    set_head(std::make_shared<ClassifierHead>(
                 channels, config.num_classes,
                 ClassifierHeadConfig{.drop_rate = config.drop_rate, .fc_name = "fc"}),
             /*name=*/"");
    init_weights();
  }

  Tensor forward_features(const Tensor& x) override {     // x: [B, H, W, in_chans]
    Tensor y = (*maxpool)((*act1)((*bn1)((*conv1)(x))));  // [B, H/4, W/4, 64]
    // layer1..layer4; with checkpointing, one checkpoint per block (timm's checkpoint_seq
    // over the flattened stages).
    for (const std::shared_ptr<Sequential>& layer : layers_) {
      y = grad_checkpointing() ? checkpoint_seq(*layer, y) : (*layer)(y);
    }
    return y;  // [B, H/32, W/32, num_features]
  }

  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<Activation> act1;
  std::shared_ptr<MaxPool2d> maxpool;

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
    for (const auto& [name, module] : named_modules()) {
      if (auto* block = dynamic_cast<BasicBlock*>(module)) block->zero_init_last();
      if (auto* block = dynamic_cast<Bottleneck*>(module)) block->zero_init_last();
    }
  }

  std::vector<std::shared_ptr<Sequential>> layers_;  // layer1..layer4
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
