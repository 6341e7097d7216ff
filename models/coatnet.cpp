// CoAtNet.
//
// Dai, Liu, Le and Tan, "CoAtNet: Marrying Convolution and Attention for All Data Sizes",
// NeurIPS 2021. A convolutional stem and two stages of MBConv blocks (depthwise
// convolutions: good inductive bias, cheap at high resolution) are followed by two stages
// of transformer blocks whose self-attention spans the whole feature map and adds a
// learned relative position bias (global receptive field where the map is small). Every
// stage halves the resolution; the first block of a stage does it, on its shortcut by
// average pooling and a 1x1 projection.
//
// This is timm's coatnet_0_rw_224 (Ross Wightman's MaxxVit-based "rw" variant, timm
// 0.9.16), with its state_dict names and initialisation ("vit_eff"). Where it differs from
// the paper: the MBConv pre-norm has an activation (SiLU), the expansion width comes from
// the block's input, squeeze-excite (ReLU, 1/4 of the expanded width) sits between the
// depthwise conv and its norm, strided MBConv blocks pool before the 1x1 expansion, the
// 1x1 output and shortcut convs have no bias, and the transformer's attention keeps the
// input width, the output projection widening it.
#include <cmath>

#include "layers/classifier.h"
#include "layers/container.h"
#include "layers/conv.h"
#include "layers/init.h"
#include "layers/norm.h"
#include "layers/pooling.h"
#include "layers/regularization.h"
#include "layers/squeeze_excite.h"
#include "models/families.h"

namespace fovea {

namespace {

constexpr int64_t kExpandRatio = 4;       // MBConv inverted bottleneck and transformer MLP
constexpr int64_t kDimHead = 32;          // attention width per head
constexpr double kTransformerEps = 1e-6;  // LayerNorm eps in the transformer stages

struct CoatNetConfig {
  std::array<int64_t, 2> stem_width{32, 64};
  std::array<int64_t, 4> embed_dim{96, 192, 384, 768};
  std::array<int64_t, 4> depths{2, 3, 7, 2};
  std::array<char, 4> block_type{'C', 'C', 'T', 'T'};  // MBConv or Transformer stages
};

// timm's BatchNormAct2d: BatchNorm then SiLU, one state_dict entry.
class BatchNormAct2d : public BatchNorm2d {
 public:
  explicit BatchNormAct2d(int64_t channels)
      : BatchNorm2d(channels, 1e-5, 0.1, ActivationKind::silu) {}
};

// EfficientNet's conv init, which timm's "vit_eff" scheme uses in the conv parts:
// N(0, sqrt(2 / fan_out)) with fan_out = kh * kw * out / groups; zero bias.
void init_conv_efficientnet(Conv2d& conv) {
  const int64_t fan_out =
      conv.weight.size(1) * conv.weight.size(2) * conv.out_channels() / conv.options().groups;
  init::normal_(conv.weight, 0.0, std::sqrt(2.0 / static_cast<double>(fan_out)));
  if (conv.bias.defined()) init::zeros_(conv.bias);
}

// 2x2 average pooling, then a 1x1 conv when the width changes (timm's Downsample2d,
// pool_type 'avg2'). x: [B, H, W, in] -> [B, H/2, W/2, out]
class Downsample2d : public Module {
 public:
  Downsample2d(int64_t in, int64_t out, bool bias) : Module("Downsample2d") {
    pool = register_module("pool", std::make_shared<AvgPool2d>(2, 2));
    if (in != out)
      expand = register_module(
          "expand",
          std::make_shared<Conv2d>(in, out, Conv2dConfig{.kernel = 1, .padding = 0, .bias = bias}));
  }
  Tensor forward(const Tensor& x) override {
    const Tensor pooled = (*pool)(x);
    return expand ? (*expand)(pooled) : pooled;
  }
  std::shared_ptr<AvgPool2d> pool;
  std::shared_ptr<Conv2d> expand;  // null when the width stays
};

// Stem: 3x3 stride-2 conv, BatchNorm + SiLU, 3x3 conv. [B, H, W, C] -> [B, H/2, W/2, 64]
class Stem : public Module {
 public:
  Stem(int64_t in_chans, std::array<int64_t, 2> width) : Module("Stem") {
    conv1 = register_module(
        "conv1", std::make_shared<Conv2d>(
                     in_chans, width[0],
                     Conv2dConfig{.kernel = 3, .stride = 2, .padding = 1, .bias = false}));
    norm1 = register_module("norm1", std::make_shared<BatchNormAct2d>(width[0]));
    conv2 = register_module(
        "conv2", std::make_shared<Conv2d>(width[0], width[1],
                                          Conv2dConfig{.kernel = 3, .padding = 1, .bias = false}));
    init_conv_efficientnet(*conv1);
    init_conv_efficientnet(*conv2);
  }
  Tensor forward(const Tensor& x) override { return (*conv2)((*norm1)((*conv1)(x))); }
  std::shared_ptr<Conv2d> conv1, conv2;
  std::shared_ptr<BatchNormAct2d> norm1;
};

// Pre-norm inverted bottleneck (timm's MbConvBlock in the "rw" configuration):
//   y = conv3_1x1(bn_act(se(dwconv3x3(bn_act(conv1_1x1(pool(bn_act(x))))))))
//   out = drop_path(y) + shortcut(x)
class MbConvBlock : public Module {
 public:
  MbConvBlock(int64_t in, int64_t out, int64_t stride, double drop_path_rate)
      : Module("MbConvBlock") {
    const int64_t mid = in * kExpandRatio;  // widths here are multiples of 8 already
    if (stride == 2) {
      shortcut = register_module("shortcut", std::make_shared<Downsample2d>(in, out, false));
    }
    pre_norm = register_module("pre_norm", std::make_shared<BatchNormAct2d>(in));
    if (stride == 2) down = register_module("down", std::make_shared<Downsample2d>(in, in, true));
    conv1_1x1 = register_module(
        "conv1_1x1",
        std::make_shared<Conv2d>(in, mid, Conv2dConfig{.kernel = 1, .padding = 0, .bias = false}));
    norm1 = register_module("norm1", std::make_shared<BatchNormAct2d>(mid));
    conv2_kxk = register_module(
        "conv2_kxk",
        std::make_shared<Conv2d>(
            mid, mid, Conv2dConfig{.kernel = 3, .padding = 1, .groups = mid, .bias = false}));
    se_early = register_module(
        "se_early",
        std::make_shared<SqueezeExcite>(mid, SqueezeExciteConfig{.reduced_channels = mid / 4}));
    norm2 = register_module("norm2", std::make_shared<BatchNormAct2d>(mid));
    conv3_1x1 = register_module(
        "conv3_1x1",
        std::make_shared<Conv2d>(mid, out, Conv2dConfig{.kernel = 1, .padding = 0, .bias = false}));
    drop_path = register_module("drop_path", std::make_shared<DropPath>(drop_path_rate));
    for (const auto& [name, module] : named_modules()) {
      if (auto* conv = dynamic_cast<Conv2d*>(module)) init_conv_efficientnet(*conv);
    }
  }

  Tensor forward(const Tensor& x) override {  // x: [B, H, W, in]
    const Tensor skip = shortcut ? (*shortcut)(x) : x;
    Tensor y = (*pre_norm)(x);
    if (down) y = (*down)(y);                         // [B, H/s, W/s, in]
    y = (*norm1)((*conv1_1x1)(y));                    // [B, H/s, W/s, mid]
    y = (*norm2)((*se_early)((*conv2_kxk)(y)));       // [B, H/s, W/s, mid]
    return add((*drop_path)((*conv3_1x1)(y)), skip);  // [B, H/s, W/s, out]
  }

  std::shared_ptr<Downsample2d> shortcut, down;  // null at stride 1
  std::shared_ptr<BatchNormAct2d> pre_norm, norm1, norm2;
  std::shared_ptr<Conv2d> conv1_1x1, conv2_kxk, conv3_1x1;
  std::shared_ptr<SqueezeExcite> se_early;
  std::shared_ptr<DropPath> drop_path;
};

// A learned bias per head for every relative offset (dy, dx) between two positions of an
// h x w map (Swin's table, timm's RelPosBias). table [(2h-1)(2w-1), heads].
class RelPosBias : public Module {
 public:
  RelPosBias(std::array<int64_t, 2> size, int64_t num_heads) : Module("RelPosBias") {
    const int64_t h = size[0], w = size[1], n = h * w;
    register_parameter("relative_position_bias_table", &table,
                       zeros({(2 * h - 1) * (2 * w - 1), num_heads}));
    init::trunc_normal_(table, 0.0, 0.02);
    std::vector<int64_t> index(static_cast<size_t>(n * n));
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        const int64_t dy = i / w - j / w + h - 1, dx = i % w - j % w + w - 1;
        index[static_cast<size_t>(i * n + j)] = dy * (2 * w - 1) + dx;
      }
    }
    register_buffer("relative_position_index", &index_, from_vector(index, {n * n}),
                    /*persistent=*/false);
    tokens_ = n;
  }
  // [heads, N, N]: the bias of query i attending to key j.
  Tensor bias() const {
    return index_select(table, 0, index_).reshape({tokens_, tokens_, -1}).permute({2, 0, 1});
  }
  Tensor table;

 private:
  Tensor index_;  // i64 [N * N]
  int64_t tokens_ = 0;
};

// Multi-head self-attention over all positions of an NHWC map, with 1x1 conv projections
// (timm's Attention2d, head_first: qkv channels are ordered [heads, (q, k, v), dim_head]).
class Attention2d : public Module {
 public:
  Attention2d(int64_t dim, int64_t dim_out, std::array<int64_t, 2> size)
      : Module("Attention2d"), num_heads_(dim / kDimHead) {
    qkv = register_module(
        "qkv", std::make_shared<Conv2d>(dim, 3 * dim, Conv2dConfig{.kernel = 1, .padding = 0}));
    rel_pos = register_module("rel_pos", std::make_shared<RelPosBias>(size, num_heads_));
    proj = register_module(
        "proj", std::make_shared<Conv2d>(dim, dim_out, Conv2dConfig{.kernel = 1, .padding = 0}));
  }
  Tensor forward(const Tensor& x) override {  // x: [B, H, W, C]
    const int64_t batch = x.size(0), height = x.size(1), width = x.size(2);
    // [B, H, W, 3C] -> [3, B, heads, N, dim_head]
    const Tensor qkv_heads = (*qkv)(x)
                                 .reshape({batch, height * width, num_heads_, 3, kDimHead})
                                 .permute({3, 0, 2, 1, 4});
    const Tensor out =
        scaled_dot_product_attention(qkv_heads.select(0, 0), qkv_heads.select(0, 1),
                                     qkv_heads.select(0, 2), {.bias = rel_pos->bias()});
    // [B, heads, N, dim_head] -> [B, H, W, C]
    return (*proj)(out.transpose(1, 2).reshape({batch, height, width, num_heads_ * kDimHead}));
  }
  std::shared_ptr<Conv2d> qkv, proj;
  std::shared_ptr<RelPosBias> rel_pos;

 private:
  int64_t num_heads_;
};

// The transformer MLP as 1x1 convs (timm's ConvMlp): fc1 -> GELU -> fc2.
class ConvMlp : public Module {
 public:
  ConvMlp(int64_t dim, int64_t hidden) : Module("ConvMlp") {
    fc1 = register_module(
        "fc1", std::make_shared<Conv2d>(dim, hidden, Conv2dConfig{.kernel = 1, .padding = 0}));
    fc2 = register_module(
        "fc2", std::make_shared<Conv2d>(hidden, dim, Conv2dConfig{.kernel = 1, .padding = 0}));
  }
  Tensor forward(const Tensor& x) override { return (*fc2)(gelu((*fc1)(x))); }
  std::shared_ptr<Conv2d> fc1, fc2;
};

// Pre-norm transformer block on an NHWC map (timm's TransformerBlock2d). At stride 2 the
// normalised input is pooled before attention and the shortcut is pooled and projected:
//   x = shortcut(x) + drop_path(attn(pool(norm1(x))));  x = x + drop_path(mlp(norm2(x)))
class TransformerBlock2d : public Module {
 public:
  TransformerBlock2d(int64_t dim, int64_t dim_out, int64_t stride, std::array<int64_t, 2> size,
                     double drop_path_rate)
      : Module("TransformerBlock2d") {
    if (stride == 2) {
      shortcut = register_module("shortcut", std::make_shared<Downsample2d>(dim, dim_out, false));
      auto norm_down = std::make_shared<Sequential>();
      norm_down->add("norm", std::make_shared<LayerNorm>(dim, kTransformerEps));
      norm_down->add("down", std::make_shared<Downsample2d>(dim, dim, true));
      norm1 = register_module("norm1", norm_down);
    } else {
      FOVEA_CHECK(dim == dim_out, "TransformerBlock2d: width {} -> {} needs stride 2", dim,
                  dim_out);
      norm1 = register_module("norm1", std::make_shared<LayerNorm>(dim, kTransformerEps));
    }
    attn = register_module("attn", std::make_shared<Attention2d>(dim, dim_out, size));
    drop_path1 = register_module("drop_path1", std::make_shared<DropPath>(drop_path_rate));
    norm2 = register_module("norm2", std::make_shared<LayerNorm>(dim_out, kTransformerEps));
    mlp = register_module("mlp", std::make_shared<ConvMlp>(dim_out, dim_out * kExpandRatio));
    drop_path2 = register_module("drop_path2", std::make_shared<DropPath>(drop_path_rate));
    init_weights();
  }

  Tensor forward(const Tensor& x) override {  // x: [B, H, W, dim]
    const Tensor skip = shortcut ? (*shortcut)(x) : x;
    const Tensor y = add(skip, (*drop_path1)((*attn)((*norm1)(x))));  // [B, H/s, W/s, out]
    return add(y, (*drop_path2)((*mlp)((*norm2)(y))));
  }

  std::shared_ptr<Downsample2d> shortcut;  // null at stride 1
  ModulePtr norm1;                         // LayerNorm, or Sequential(norm, down) at stride 2
  std::shared_ptr<Attention2d> attn;
  std::shared_ptr<LayerNorm> norm2;
  std::shared_ptr<ConvMlp> mlp;
  std::shared_ptr<DropPath> drop_path1, drop_path2;

 private:
  // timm's ViT-like init of the transformer part: xavier_uniform weights, zero biases
  // except the MLP's, N(0, 1e-6). The relative position table keeps its trunc_normal.
  void init_weights() {
    for (const auto& [name, module] : named_modules()) {
      if (auto* conv = dynamic_cast<Conv2d*>(module)) {
        init::xavier_uniform_(conv->weight);
        if (!conv->bias.defined()) continue;
        if (name.find("mlp") != std::string::npos) {
          init::normal_(conv->bias, 0.0, 1e-6);
        } else {
          init::zeros_(conv->bias);
        }
      }
    }
  }
};

// One stage: its first block halves the resolution and sets the width (timm's MaxxVitStage).
class CoatStage : public Module {
 public:
  CoatStage(char type, int64_t in, int64_t out, int64_t depth, std::array<int64_t, 2> size,
            const std::vector<double>& drop_path)
      : Module("MaxxVitStage") {
    blocks = register_module("blocks", std::make_shared<Sequential>());
    for (int64_t i = 0; i < depth; ++i) {
      const int64_t block_in = i == 0 ? in : out, stride = i == 0 ? 2 : 1;
      const double rate = drop_path[static_cast<size_t>(i)];
      if (type == 'C') {
        blocks->add(std::make_shared<MbConvBlock>(block_in, out, stride, rate));
      } else {
        blocks->add(std::make_shared<TransformerBlock2d>(block_in, out, stride, size, rate));
      }
    }
  }
  Tensor forward(const Tensor& x) override {
    return grad_checkpointing() ? checkpoint_seq(*blocks, x) : (*blocks)(x);
  }
  std::shared_ptr<Sequential> blocks;
};

class CoatNet : public Model {
 public:
  CoatNet(const CoatNetConfig& cfg, const ModelConfig& config) : Model("MaxxVit") {
    // Each stage's average pooling floors, while the relative position tables are sized
    // for exact halving: the image must halve cleanly five times.
    FOVEA_CHECK(config.img_size % 32 == 0,
                "coatnet: img_size {} must be a multiple of 32 (the stem and four stages each "
                "halve it)",
                config.img_size);
    stem = register_module("stem", std::make_shared<Stem>(config.in_chans, cfg.stem_width));
    stages = register_module("stages", std::make_shared<Sequential>());
    const std::vector<std::vector<double>> drop_path =
        drop_path_rates(config.drop_path_rate, {cfg.depths.begin(), cfg.depths.end()});
    int64_t in = cfg.stem_width[1], feature_size = config.img_size / 2;
    for (size_t s = 0; s < cfg.depths.size(); ++s) {
      feature_size /= 2;
      stages->add(std::make_shared<CoatStage>(cfg.block_type[s], in, cfg.embed_dim[s],
                                              cfg.depths[s], std::array{feature_size, feature_size},
                                              drop_path[s]));
      in = cfg.embed_dim[s];
    }
    const int64_t num_features = cfg.embed_dim.back();
    norm = register_module("norm", std::make_shared<LayerNorm>(num_features, kTransformerEps));
    set_head(std::make_shared<ClassifierHead>(
                 num_features, config.num_classes,
                 ClassifierHeadConfig{.pool = HeadPool::avg, .drop_rate = config.drop_rate}),
             "head");
  }

  Tensor forward_features(const Tensor& x) override {  // x: [B, H, W, C]
    const Tensor y = (*stem)(x);                       // [B, H/2, W/2, 64]
    // stages: [B, H/4, W/4, 96] -> /8, 192 -> /16, 384 -> /32, 768
    return (*norm)((*stages)(y));  // [B, H/32, W/32, 768]
  }

  std::shared_ptr<Stem> stem;
  std::shared_ptr<Sequential> stages;
  std::shared_ptr<LayerNorm> norm;
};

}  // namespace

std::vector<ModelInfo> coatnet_models() {
  return {{.name = "coatnet_0_rw_224",
           .family = "coatnet",
           .default_img_size = 224,
           .smoke_img_size = 64,
           .create = [](const ModelConfig& c) {
             return std::make_shared<CoatNet>(CoatNetConfig{}, c);
           }}};
}

}  // namespace fovea
