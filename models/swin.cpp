// Swin Transformer: Liu, Lin, Cao, Hu, Wei, Zhang, Lin and Guo, "Swin Transformer:
// Hierarchical Vision Transformer using Shifted Windows", ICCV 2021 (arXiv:2103.14030).
//
// A ViT made hierarchical: 4x4 patches become tokens on a grid; four stages attend within
// 7x7 windows of that grid, every second block with the windows shifted by half a window
// so that information crosses window borders; patch merging halves the grid and doubles
// the channels between stages, as a CNN's strides do. The layout follows timm 0.9.16
// (swin_transformer.py), whose state_dict names fovea uses; this file also holds the stage
// and model that Swin v2 (models/swinv2.cpp) shares.
#include "models/swin.h"

#include <charconv>

#include "layers/init.h"
#include "layers/mlp.h"
#include "models/families.h"

namespace fovea {

namespace swin {

BlockWindow fit_window(Window grid, int64_t window, bool shifted) {
  BlockWindow out;
  for (int i = 0; i < 2; ++i) {
    const bool fits_one_window = grid[i] <= window;
    out.window[i] = fits_one_window ? grid[i] : window;
    out.shift[i] = shifted && !fits_one_window ? window / 2 : 0;
  }
  return out;
}

namespace {

int64_t round_up(int64_t size, int64_t multiple) {
  return (size + multiple - 1) / multiple * multiple;
}

}  // namespace

// Both are one gather (engine/ops/window_partition.h), roll and padding included.
Tensor to_windows(const Tensor& x, const BlockWindow& w) {
  return window_partition(x, w.window, w.shift);  // [B * nW, Wh * Ww, C]
}

Tensor from_windows(const Tensor& windows, const BlockWindow& w, int64_t height, int64_t width) {
  return window_reverse(windows, w.window, height, width, w.shift);
}

Tensor block_mask(Window grid, const BlockWindow& w) {
  if (w.shift[0] == 0 && w.shift[1] == 0) return Tensor();
  return shifted_window_mask(round_up(grid[0], w.window[0]), round_up(grid[1], w.window[1]),
                             w.window, w.shift);
}

Block::Block(std::string type_name, const BlockSpec& spec)
    : Module(std::move(type_name)), grid_(spec.grid), window_(spec.window) {
  register_buffer("attn_mask", &attn_mask, block_mask(grid_, window_), /*persistent=*/false);
}

namespace {

// ---- the Swin v1 block ----

// Pre-norm residual branches: x + W-MSA(LN(x)), then x + MLP(LN(x)). The grid is padded
// to whole windows when it is not a multiple of the window (the zero tokens attend too,
// as in timm, and are cropped afterwards).
class SwinTransformerBlock : public Block {
 public:
  explicit SwinTransformerBlock(const BlockSpec& spec) : Block("SwinTransformerBlock", spec) {
    norm1 = register_module("norm1", std::make_shared<LayerNorm>(spec.dim));
    attn = register_module(
        "attn", std::make_shared<WindowAttention>(spec.dim, spec.num_heads, window_.window));
    drop_path1 = register_module("drop_path1", std::make_shared<DropPath>(spec.drop_path));
    norm2 = register_module("norm2", std::make_shared<LayerNorm>(spec.dim));
    mlp = register_module(
        "mlp", std::make_shared<Mlp>(spec.dim, static_cast<int64_t>(spec.dim * spec.mlp_ratio)));
    drop_path2 = register_module("drop_path2", std::make_shared<DropPath>(spec.drop_path));
  }

  Tensor forward(const Tensor& x, std::vector<Tensor>* attention_maps) override {
    // x: [B, H, W, C]
    const Tensor y = add(x, (*drop_path1)(attend(*attn, (*norm1)(x), attention_maps)));
    return add(y, (*drop_path2)((*mlp)((*norm2)(y))));
  }

  std::shared_ptr<LayerNorm> norm1, norm2;
  std::shared_ptr<WindowAttention> attn;
  std::shared_ptr<Mlp> mlp;
  std::shared_ptr<DropPath> drop_path1, drop_path2;
};

}  // namespace

// ---- stage and model (both versions) ----

PatchEmbedNorm::PatchEmbedNorm(int64_t patch, int64_t in_chans, int64_t embed_dim)
    : PatchEmbed(patch, in_chans, embed_dim) {
  norm = register_module("norm", std::make_shared<LayerNorm>(embed_dim));
}

Tensor PatchEmbedNorm::forward(const Tensor& x) {
  grid_size(x.size(1), x.size(2));  // checks divisibility with a clear message
  return (*norm)((*proj)(x));       // [B, H/p, W/p, D]
}

Stage::Stage(std::shared_ptr<PatchMerging> downsample_layer,
             std::vector<std::shared_ptr<Block>> stage_blocks)
    : Module("SwinStage"), blocks_(std::move(stage_blocks)) {
  if (downsample_layer) downsample = register_module("downsample", std::move(downsample_layer));
  blocks = register_module("blocks", std::make_shared<Sequential>());
  for (const auto& block : blocks_) blocks->add(block);
}

Tensor Stage::forward(const Tensor& x, std::vector<Tensor>* attention_maps) {
  Tensor y = downsample ? (*downsample)(x) : x;
  if (!attention_maps) return grad_checkpointing() ? checkpoint_seq(*blocks, y) : (*blocks)(y);
  for (const auto& block : blocks_) y = block->forward(y, attention_maps);
  return y;
}

SwinTransformer::SwinTransformer(const ModelConfig& config, const Architecture& arch)
    : Model(arch.name), img_size_(config.img_size) {
  const Variant& v = arch.variant;
  patch_embed = register_module(
      "patch_embed", std::make_shared<PatchEmbedNorm>(v.patch_size, config.in_chans, v.embed_dim));
  // The token grid of each stage: patch merging halves it before stages 1-3.
  std::array<Window, 4> grids;
  const auto [grid_h, grid_w] = patch_embed->grid_size(img_size_, img_size_);
  grids[0] = {grid_h, grid_w};
  for (size_t s = 1; s < grids.size(); ++s) {
    const Window& before = grids[s - 1];
    FOVEA_CHECK(before[0] % 2 == 0 && before[1] % 2 == 0,
                "{}: img_size {} gives a {}x{} token grid before stage {}, which patch merging "
                "cannot halve; use a multiple of {}",
                arch.name, img_size_, before[0], before[1], s, v.patch_size * 8);
    grids[s] = {before[0] / 2, before[1] / 2};
  }

  const std::vector<std::vector<double>> drop_path =
      drop_path_rates(config.drop_path_rate, {v.depths.begin(), v.depths.end()});
  int64_t dim = v.embed_dim;
  layers = register_module("layers", std::make_shared<ModuleList>());
  for (size_t s = 0; s < grids.size(); ++s) {
    std::shared_ptr<PatchMerging> downsample;
    if (s > 0) {
      downsample = std::make_shared<PatchMerging>(dim, 2 * dim, arch.merge_norm);
      dim *= 2;
    }
    std::vector<std::shared_ptr<Block>> blocks;
    for (int64_t b = 0; b < v.depths[s]; ++b) {
      blocks.push_back(arch.make_block({.dim = dim,
                                        .num_heads = v.num_heads[s],
                                        .grid = grids[s],
                                        .window = fit_window(grids[s], v.window, b % 2 == 1),
                                        .mlp_ratio = v.mlp_ratio,
                                        .drop_path = drop_path[s][static_cast<size_t>(b)]}));
    }
    stages_.push_back(layers->add(std::make_shared<Stage>(downsample, std::move(blocks))));
  }
  norm = register_module("norm", std::make_shared<LayerNorm>(dim));
  set_head(std::make_shared<ClassifierHead>(
               dim, config.num_classes,
               ClassifierHeadConfig{.pool = HeadPool::avg, .drop_rate = config.drop_rate}),
           "head");
  for (const auto& [name, module] : named_modules()) {
    if (auto* linear = dynamic_cast<Linear*>(module)) {
      init::trunc_normal_(linear->weight, 0.0, 0.02);
      if (linear->bias.defined()) init::zeros_(linear->bias);
    }
  }
}

Tensor SwinTransformer::features(const Tensor& x, std::vector<Tensor>* attention_maps) {
  FOVEA_CHECK(x.dim() == 4 && x.size(1) == img_size_ && x.size(2) == img_size_,
              "{}: built for {}x{} images (img_size {}), got input {}; create the model with the "
              "img_size you feed it",
              type_name(), img_size_, img_size_, img_size_, shape_str(x.shape()));
  Tensor y = (*patch_embed)(x);  // [B, H/4, W/4, D]
  for (const auto& stage : stages_) y = stage->forward(y, attention_maps);
  return (*norm)(y);  // [B, H/32, W/32, 8D]
}

Tensor SwinTransformer::forward_features(const Tensor& x) {
  return features(x, nullptr);
}

std::vector<Tensor> SwinTransformer::attention_maps(const Tensor& x) {
  NoGradGuard no_grad;
  std::vector<Tensor> maps;
  features(x, &maps);
  return maps;
}

std::string torchvision_key(const std::string& key) {
  if (key.starts_with("features.0.0.")) return "patch_embed.proj." + key.substr(13);
  if (key.starts_with("features.0.2.")) return "patch_embed.norm." + key.substr(13);
  if (key.starts_with("head.")) return "head.fc." + key.substr(5);
  if (!key.starts_with("features.")) return key;  // norm.*
  // features.<i>.<rest>: odd i hold the blocks of stage i / 2, even i > 0 the patch
  // merging at the start of stage i / 2.
  const size_t dot = key.find('.', 9);
  int index = 0;
  std::from_chars(key.data() + 9, key.data() + dot, index);
  const std::string stage = "layers." + std::to_string(index / 2) + ".";
  std::string rest = key.substr(dot + 1);
  if (index % 2 == 0) return stage + "downsample." + rest;
  if (rest.ends_with(".attn.relative_position_index") ||
      rest.ends_with(".attn.relative_coords_table"))
    return "";
  for (const auto& [from, to] : {std::pair<std::string, std::string>{".mlp.0.", ".mlp.fc1."},
                                 std::pair<std::string, std::string>{".mlp.3.", ".mlp.fc2."}}) {
    if (const size_t at = rest.find(from); at != std::string::npos)
      rest.replace(at, from.size(), to);
  }
  return stage + "blocks." + rest;
}

}  // namespace swin

std::vector<ModelInfo> swin_models() {
  return {
      {.name = "swin_tiny_patch4_window7_224",
       .family = "swin",
       .default_img_size = 224,
       .smoke_img_size = 64,
       .create =
           [](const ModelConfig& c) {
             return std::make_shared<swin::SwinTransformer>(
                 c, swin::Architecture{.name = "SwinTransformer",
                                       .variant = {.embed_dim = 96,
                                                   .depths = {2, 2, 6, 2},
                                                   .num_heads = {3, 6, 12, 24},
                                                   .window = 7},
                                       .merge_norm = PatchMerging::Norm::before_reduction,
                                       .make_block = [](const swin::BlockSpec& spec) {
                                         return std::make_shared<swin::SwinTransformerBlock>(spec);
                                       }});
           },
       .torchvision_name = "swin_t",
       .torchvision_keys = swin::torchvision_key},
  };
}

}  // namespace fovea
