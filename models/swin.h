#pragma once
// What Swin v1 (models/swin.cpp) and Swin v2 (models/swinv2.cpp) share: the variant table
// entry, the window each block gets on its grid, the patch embedding, the stage (patch
// merging, then blocks) and the model around the stages. Each version brings its block.
//
// State_dict names are timm 0.9.16's: patch_embed.{proj,norm}, layers.<s>.downsample (a
// PatchMerging at the start of stages 1-3), layers.<s>.blocks.<b>.{norm1, attn, norm2,
// mlp.fc1, mlp.fc2}, norm, head.fc.
#include <functional>
#include <string>
#include <vector>

#include "layers/container.h"
#include "layers/norm.h"
#include "layers/patch_embed.h"
#include "layers/patch_merging.h"
#include "layers/regularization.h"
#include "layers/window_attention.h"
#include "models/model.h"

namespace fovea::swin {

struct Variant {
  int64_t embed_dim = 96;  // stage s has embed_dim * 2^s channels
  std::array<int64_t, 4> depths{2, 2, 6, 2};
  std::array<int64_t, 4> num_heads{3, 6, 12, 24};
  int64_t window = 7;
  int64_t patch_size = 4;
  double mlp_ratio = 4.0;
};

// timm's _calc_window_shift: a window larger than the grid shrinks to the grid, and a grid
// that fits in one window is not shifted (its single window would only wrap onto itself).
struct BlockWindow {
  Window window;
  Window shift;  // (0, 0) for a plain (W-MSA) block
};
BlockWindow fit_window(Window grid, int64_t window, bool shifted);

// Everything a block is built from.
struct BlockSpec {
  int64_t dim = 0;
  int64_t num_heads = 0;
  Window grid{};  // the token grid the block runs on
  BlockWindow window{};
  double mlp_ratio = 4.0;
  double drop_path = 0.0;
};

// The windows a block attends in, shared by both versions: the grid x [B, H, W, C] rolled
// by -shift, padded with zeros at the bottom and right up to whole windows (v1; v2 blocks
// only accept whole windows), and cut into windows [B * nW, N, C].
Tensor to_windows(const Tensor& x, const BlockWindow& window);
// The inverse of to_windows for a grid of height x width: [B * nW, N, C] -> [B, H, W, C].
Tensor from_windows(const Tensor& windows, const BlockWindow& window, int64_t height,
                    int64_t width);
// The shifted-window mask on `grid` padded up to whole windows, or an undefined tensor for
// an unshifted block.
Tensor block_mask(Window grid, const BlockWindow& window);

// A Swin block: windowed attention and an MLP, each in a residual branch, on [B, H, W, C].
// The versions differ in where the norms sit and in their attention; the windowing around
// the attention is the same.
class Block : public Module {
 public:
  Block(std::string type_name, const BlockSpec& spec);
  Tensor forward(const Tensor& x) override { return forward(x, nullptr); }
  // Appends the block's attention map [B * nW, heads, N, N] to `attention_maps` when given.
  virtual Tensor forward(const Tensor& x, std::vector<Tensor>* attention_maps) = 0;

  Tensor attn_mask;  // [nW, N, N] for a shifted block, else undefined; not in the state_dict

 protected:
  // `attention` (WindowAttention or WindowAttentionV2) over the windows of x [B, H, W, C].
  template <typename Attention>
  Tensor attend(Attention& attention, const Tensor& x, std::vector<Tensor>* attention_maps) {
    FOVEA_CHECK(x.dim() == 4 && x.size(1) == grid_[0] && x.size(2) == grid_[1],
                "{}: built for a {}x{} token grid, got {}", type_name(), grid_[0], grid_[1],
                shape_str(x.shape()));
    Tensor map;
    const Tensor out =
        attention.forward(to_windows(x, window_), attn_mask, attention_maps ? &map : nullptr);
    if (attention_maps) attention_maps->push_back(map);
    return from_windows(out, window_, grid_[0], grid_[1]);
  }

  Window grid_;
  BlockWindow window_;
};
using BlockFactory = std::function<std::shared_ptr<Block>(const BlockSpec&)>;

// The patch embedding: a patch_size-strided conv, then a LayerNorm over the channels.
// [B, H, W, in_chans] -> [B, H/p, W/p, embed_dim] (timm's PatchEmbed with norm_layer and
// output_fmt NHWC).
class PatchEmbedNorm : public PatchEmbed {
 public:
  PatchEmbedNorm(int64_t patch_size, int64_t in_chans, int64_t embed_dim);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<LayerNorm> norm;
};

// One stage: an optional PatchMerging ("downsample"), then its blocks, each recomputed in
// backward when gradient checkpointing is on (timm's SwinTransformerStage).
class Stage : public Module {
 public:
  Stage(std::shared_ptr<PatchMerging> downsample, std::vector<std::shared_ptr<Block>> blocks);
  Tensor forward(const Tensor& x) override { return forward(x, nullptr); }
  // Appends each block's attention map to `attention_maps` when given.
  Tensor forward(const Tensor& x, std::vector<Tensor>* attention_maps);

  std::shared_ptr<PatchMerging> downsample;  // null in stage 0
  std::shared_ptr<Sequential> blocks;

 private:
  std::vector<std::shared_ptr<Block>> blocks_;  // the same blocks, typed, for attention maps
};

struct Architecture {
  std::string name;  // the module's type name: "SwinTransformer", "SwinTransformerV2"
  Variant variant;
  PatchMerging::Norm merge_norm = PatchMerging::Norm::before_reduction;
  BlockFactory make_block;
};

// The Swin backbone and classifier: patch_embed -> layers (4 stages) -> norm -> head (mean
// over the grid, dropout, fc). Linear layers start as trunc_normal(std 0.02) with zero
// biases, as both timm models initialise them; each block initialises the rest of itself.
class SwinTransformer : public Model {
 public:
  SwinTransformer(const ModelConfig& config, const Architecture& architecture);

  Tensor forward_features(const Tensor& x) override;  // [B, H, W, C] -> [B, H/32, W/32, 8D]
  std::vector<Tensor> attention_maps(const Tensor& x) override;

  std::shared_ptr<PatchEmbedNorm> patch_embed;
  std::shared_ptr<ModuleList> layers;
  std::shared_ptr<LayerNorm> norm;

 private:
  Tensor features(const Tensor& x, std::vector<Tensor>* attention_maps);

  int64_t img_size_;
  std::vector<std::shared_ptr<Stage>> stages_;  // layers, typed, for attention maps
};

// torchvision's swin_t / swin_v2_t keys -> timm's: features.0.{0,2} is the patch
// embedding, features.{1,3,5,7} the stages' blocks, features.{2,4,6} the patch merging at
// the start of stages 1-3, mlp.{0,3} the MLP's layers, head the classifier.
// torchvision's relative_position_index and relative_coords_table are persistent buffers
// there; fovea computes them, so they are dropped.
std::string torchvision_key(const std::string& key);

}  // namespace fovea::swin
