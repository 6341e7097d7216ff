// Vision Transformer.
//
// Dosovitskiy et al., "An Image is Worth 16x16 Words: Transformers for Image Recognition
// at Scale", ICLR 2021. The image is cut into p x p patches, each patch is projected to a
// token, a learned class token is prepended and a learned position embedding added, and a
// stack of pre-norm transformer blocks follows; the class token's final state is
// classified. This is timm's VisionTransformer (global_pool='token', LayerNorm eps 1e-6),
// with its state_dict names and initialisation.
//
// raddino is RAD-DINO (Perez-Garcia et al., "Exploring Scalable Medical Image Encoders
// Beyond Text Supervision", Nature Machine Intelligence 2025; microsoft/rad-dino), a
// DINOv2 ViT-B/14 (Oquab et al., 2023) trained on chest X-rays at 518 x 518: the same
// network with LayerScale (Touvron et al., 2021) on both residual branches and a 37 x 37
// position grid. Its state_dict is named as timm's vit_base_patch14_dinov2.
#include <cmath>
#include <regex>

#include "layers/attention.h"
#include "layers/container.h"
#include "layers/init.h"
#include "layers/mlp.h"
#include "layers/norm.h"
#include "layers/patch_embed.h"
#include "models/families.h"
#include "models/vit.h"

namespace fovea {

namespace {

constexpr double kLayerNormEps = 1e-6;

// Pre-norm transformer block (timm's Block):
//   x = x + drop_path(ls1(attn(norm1(x))));  x = x + drop_path(ls2(mlp(norm2(x))))
class Block : public Module {
 public:
  Block(const VitConfig& vit, double drop_path) : Module("Block") {
    const int64_t dim = vit.embed_dim;
    norm1 = register_module("norm1", std::make_shared<LayerNorm>(dim, kLayerNormEps));
    attn = register_module("attn", std::make_shared<Attention>(dim, vit.num_heads));
    if (vit.layer_scale_init > 0) {
      ls1 = register_module("ls1", std::make_shared<LayerScale>(dim, vit.layer_scale_init));
    }
    drop_path1 = register_module("drop_path1", std::make_shared<DropPath>(drop_path));
    norm2 = register_module("norm2", std::make_shared<LayerNorm>(dim, kLayerNormEps));
    const auto hidden = static_cast<int64_t>(static_cast<double>(dim) * vit.mlp_ratio);
    mlp = register_module("mlp", std::make_shared<Mlp>(dim, hidden));
    if (vit.layer_scale_init > 0) {
      ls2 = register_module("ls2", std::make_shared<LayerScale>(dim, vit.layer_scale_init));
    }
    drop_path2 = register_module("drop_path2", std::make_shared<DropPath>(drop_path));
  }

  Tensor forward(const Tensor& x) override { return forward(x, nullptr); }

  // x: [B, N, D] -> [B, N, D]; `attention_map` receives [B, heads, N, N] when set.
  Tensor forward(const Tensor& x, Tensor* attention_map) {
    const Tensor normed = (*norm1)(x);
    Tensor branch = attention_map ? attn->forward(normed, attention_map) : (*attn)(normed);
    Tensor y = add(x, (*drop_path1)(ls1 ? (*ls1)(branch) : branch));
    branch = (*mlp)((*norm2)(y));
    return add(y, (*drop_path2)(ls2 ? (*ls2)(branch) : branch));
  }

  std::shared_ptr<LayerNorm> norm1, norm2;
  std::shared_ptr<Attention> attn;
  std::shared_ptr<LayerScale> ls1, ls2;  // null without LayerScale
  std::shared_ptr<DropPath> drop_path1, drop_path2;
  std::shared_ptr<Mlp> mlp;
};

class VisionTransformer : public Model {
 public:
  VisionTransformer(const VitConfig& vit, const ModelConfig& config)
      : Model("VisionTransformer"), embed_dim_(vit.embed_dim) {
    const int64_t dim = vit.embed_dim;
    FOVEA_CHECK(config.img_size > 0 && config.img_size % vit.patch_size == 0,
                "VisionTransformer: img_size {} is not a positive multiple of the patch size {}",
                config.img_size, vit.patch_size);
    grid_ = config.img_size / vit.patch_size;
    register_parameter("cls_token", &cls_token, zeros({1, 1, dim}));
    register_parameter("pos_embed", &pos_embed, zeros({1, 1 + grid_ * grid_, dim}));
    patch_embed = register_module(
        "patch_embed", std::make_shared<PatchEmbed>(vit.patch_size, config.in_chans, dim));
    blocks = register_module("blocks", std::make_shared<Sequential>());
    const std::vector<double> rates = drop_path_rates(config.drop_path_rate, {vit.depth})[0];
    for (double rate : rates) {
      block_list_.push_back(blocks->add(std::make_shared<Block>(vit, rate)));
    }
    norm = register_module("norm", std::make_shared<LayerNorm>(dim, kLayerNormEps));
    set_head(std::make_shared<ClassifierHead>(
                 dim, config.num_classes,
                 ClassifierHeadConfig{
                     .pool = HeadPool::token, .drop_rate = config.drop_rate, .fc_name = "head"}),
             "");
    init_weights();
  }

  Tensor forward_features(const Tensor& x) override {  // x: [B, H, W, C]
    Tensor tokens = embed(x);                          // [B, 1 + N, D]
    tokens = grad_checkpointing() ? checkpoint_seq(*blocks, tokens) : (*blocks)(tokens);
    return (*norm)(tokens);  // [B, 1 + N, D]
  }

  std::vector<Tensor> attention_maps(const Tensor& x) override {
    std::vector<Tensor> maps;
    Tensor tokens = embed(x);
    for (const std::shared_ptr<Block>& block : block_list_) {
      maps.emplace_back();
      tokens = block->forward(tokens, &maps.back());
    }
    return maps;  // per block: [B, heads, 1 + N, 1 + N]
  }

  void adapt_pretrained(TensorMap& state) override {
    auto found = state.find("pos_embed");
    if (found != state.end()) found->second = resample_abs_pos_embed(found->second, {grid_, grid_});
  }

  Tensor cls_token;  // [1, 1, D]
  Tensor pos_embed;  // [1, 1 + grid*grid, D]
  std::shared_ptr<PatchEmbed> patch_embed;
  std::shared_ptr<Sequential> blocks;
  std::shared_ptr<LayerNorm> norm;
  // The head (the class token's dropout and Linear "head") sits inline: head().

 private:
  // Patch tokens, the class token in front, plus the position embedding.
  Tensor embed(const Tensor& x) {
    const std::array<int64_t, 2> grid = patch_embed->grid_size(x.size(1), x.size(2));
    FOVEA_CHECK(grid[0] == grid_ && grid[1] == grid_,
                "VisionTransformer: built for a {}x{} patch grid ({}x{} images), got input {}",
                grid_, grid_, grid_ * patch_embed->patch_size, grid_ * patch_embed->patch_size,
                shape_str(x.shape()));
    const Tensor patches = (*patch_embed)(x);  // [B, N, D]
    const Tensor cls = cls_token.expand({x.size(0), 1, embed_dim_});
    return add(cat({cls, patches}, 1), pos_embed);  // [B, 1 + N, D]
  }

  // timm's init_weights (mode ''): trunc_normal(0.02) position embedding, a nearly-zero
  // class token, trunc_normal(0.02) weights and zero biases for every Linear (the head
  // included); the patch projection keeps PyTorch's conv default, norms ones and zeros.
  void init_weights() {
    init::trunc_normal_(pos_embed, 0.0, 0.02);
    init::normal_(cls_token, 0.0, 1e-6);
    for (const auto& [name, module] : named_modules()) {
      if (auto* linear = dynamic_cast<Linear*>(module)) {
        init::trunc_normal_(linear->weight, 0.0, 0.02);
        if (linear->bias.defined()) init::zeros_(linear->bias);
      }
    }
  }

  int64_t embed_dim_;
  int64_t grid_ = 0;
  std::vector<std::shared_ptr<Block>> block_list_;  // blocks, typed, for attention maps
};

// torchvision's VisionTransformer names -> timm's. Keys it does not know pass unchanged,
// so that loading reports them as unexpected.
std::string vit_torchvision_keys(const std::string& key) {
  using Renames = std::vector<std::pair<std::string, std::string>>;
  static const Renames top = {{"class_token", "cls_token"},
                              {"conv_proj.", "patch_embed.proj."},
                              {"encoder.pos_embedding", "pos_embed"},
                              {"encoder.ln.", "norm."},
                              {"heads.head.", "head."}};
  // torchvision before 0.13 named the MLP's linears linear_1 and linear_2.
  static const Renames in_block = {{"ln_1.", "norm1."},
                                   {"ln_2.", "norm2."},
                                   {"self_attention.in_proj_weight", "attn.qkv.weight"},
                                   {"self_attention.in_proj_bias", "attn.qkv.bias"},
                                   {"self_attention.out_proj.", "attn.proj."},
                                   {"mlp.0.", "mlp.fc1."},
                                   {"mlp.linear_1.", "mlp.fc1."},
                                   {"mlp.3.", "mlp.fc2."},
                                   {"mlp.linear_2.", "mlp.fc2."}};
  auto rename = [](const std::string& name, const Renames& renames) {
    for (const auto& [from, to] : renames) {
      if (name.rfind(from, 0) == 0) return to + name.substr(from.size());
    }
    return name;
  };
  static const std::regex block_key(R"(encoder\.layers\.encoder_layer_(\d+)\.(.*))");
  std::smatch match;
  if (std::regex_match(key, match, block_key)) {
    return "blocks." + match[1].str() + "." + rename(match[2].str(), in_block);
  }
  return rename(key, top);
}

ModelInfo vit_model(std::string name, const VitConfig& vit, int64_t img_size, int64_t smoke_size) {
  return {.name = std::move(name),
          .family = "vit",
          .default_img_size = img_size,
          .smoke_img_size = smoke_size,
          .create = [vit](const ModelConfig& c) { return create_vit(vit, c); }};
}

}  // namespace

ModelPtr create_vit(const VitConfig& vit, const ModelConfig& config) {
  return std::make_shared<VisionTransformer>(vit, config);
}

Tensor resample_abs_pos_embed(const Tensor& pos_embed, std::array<int64_t, 2> grid,
                              int64_t num_prefix_tokens) {
  FOVEA_CHECK(
      pos_embed.dim() == 3 && pos_embed.size(0) == 1 && pos_embed.size(1) >= num_prefix_tokens,
      "resample_abs_pos_embed: expected pos_embed [1, {} + h*w, D], got {}", num_prefix_tokens,
      shape_str(pos_embed.shape()));
  const int64_t dim = pos_embed.size(2), old_tokens = pos_embed.size(1) - num_prefix_tokens;
  const auto old_side = static_cast<int64_t>(std::lround(std::sqrt(old_tokens)));
  FOVEA_CHECK(old_side * old_side == old_tokens,
              "resample_abs_pos_embed: {} grid tokens in pos_embed {} do not form a square grid",
              old_tokens, shape_str(pos_embed.shape()));
  if (old_side == grid[0] && old_side == grid[1]) return pos_embed;
  NoGradGuard no_grad;
  // The tokens are in row-major grid order, so [1, h*w, D] is already an NHWC image.
  const Tensor image = pos_embed.narrow(1, num_prefix_tokens, old_tokens)
                           .to(DType::f32)
                           .reshape({1, old_side, old_side, dim});
  const Tensor resized = interpolate(image, {.size = grid, .mode = "bicubic"});
  return cat({pos_embed.narrow(1, 0, num_prefix_tokens),
              resized.reshape({1, grid[0] * grid[1], dim}).to(pos_embed.dtype())},
             1);
}

std::vector<ModelInfo> vit_models() {
  ModelInfo base = vit_model("vit_base_patch16_224", {}, 224, 32);
  base.torchvision_name = "vit_b_16";
  base.torchvision_keys = vit_torchvision_keys;
  ModelInfo large = vit_model("vit_large_patch16_224",
                              {.embed_dim = 1024, .depth = 24, .num_heads = 16}, 224, 32);
  large.torchvision_name = "vit_l_16";
  large.torchvision_keys = vit_torchvision_keys;
  ModelInfo raddino = vit_model("raddino", {.patch_size = 14, .layer_scale_init = 1e-5}, 518, 28);
  return {base, large, raddino};
}

}  // namespace fovea
