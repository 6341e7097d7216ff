#pragma once
// Window attention, the core of the Swin Transformers: multi-head self-attention inside
// non-overlapping windows of Wh x Ww tokens, plus a bias that depends on the relative
// position of query and key inside the window.
//
//  - v1, Liu et al. 2021, "Swin Transformer: Hierarchical Vision Transformer using Shifted
//    Windows": scaled dot-product attention; the bias is looked up in a learned table of
//    (2Wh-1)(2Ww-1) offsets x heads.
//  - v2, Liu et al. 2022, "Swin Transformer V2: Scaling Up Capacity and Resolution": scaled
//    cosine attention, cos(q, k) * exp(min(logit_scale, log 100)), with a learned
//    temperature per head; the bias is continuous: a small MLP (cpb_mlp) maps log-spaced
//    relative coordinates to 16 * sigmoid(bias) per head, so it carries over to any window.
//    The qkv projection has biases for q and v only (k's is a fixed zero).
//
// Both run on windows [B * nW, N, C] (N = Wh * Ww) and take the shifted-window mask [nW, N,
// N] of their block, which is added to the position bias; the attention itself is the
// window_attention op (engine/ops/window_attention.h). The windows come from
// window_partition (engine/ops/window_partition.h, which also rolls the grid for shifted
// windows); the helpers below build the mask and the position-bias tables.
#include "engine/ops/window_partition.h"
#include "layers/container.h"
#include "layers/linear.h"
#include "layers/regularization.h"

namespace fovea {

// The additive mask of a shifted-window block on a (height, width) grid, both multiples of
// the window: [nW, N, N], 0 where query and key lay in the same region of the grid before
// the roll and -100 where they did not, so that the windows that wrapped around never mix
// tokens from opposite borders of the image. -100 rather than -inf, as in the reference.
Tensor shifted_window_mask(int64_t height, int64_t width, Window window, Window shift);
// For every (query, key) pair of a window, the row of a relative position table
// [(2Wh-1)(2Ww-1), ...] that holds their offset: i64 [N * N].
Tensor relative_position_index(Window window);
// A v1 table [(2Wh-1)(2Ww-1), heads] learned for window `from`, resized for window `to` by
// bicubic interpolation of its (2Wh-1) x (2Ww-1) grid of offsets, head by head (timm's
// resize_rel_pos_bias_table_simple; timm's default uses a slower geometric-series
// interpolation to the same end). A pretrained table needs this when the model is built
// with another window, or when a small img_size clamps a stage's window to its grid; a
// different img_size alone leaves the table as it is.
Tensor resize_relative_position_bias_table(const Tensor& table, Window from, Window to);

// Swin v1 window attention (timm's WindowAttention).
class WindowAttention : public Module {
 public:
  WindowAttention(int64_t dim, int64_t num_heads, Window window, bool qkv_bias = true,
                  double attn_drop = 0.0, double proj_drop = 0.0);
  Tensor forward(const Tensor& windows) override { return forward(windows, Tensor(), nullptr); }
  // windows [B * nW, N, C], mask [nW, N, N] or undefined -> [B * nW, N, C]; when
  // `attention_map` is set it receives the probabilities [B * nW, heads, N, N].
  Tensor forward(const Tensor& windows, const Tensor& mask, Tensor* attention_map);
  Tensor relative_position_bias() const;  // [heads, N, N]

  Tensor relative_position_bias_table;  // [(2Wh-1)(2Ww-1), heads]
  Tensor relative_position_index;       // i64 [N * N], computed, not in the state_dict
  std::shared_ptr<Linear> qkv, proj;
  int64_t num_heads;
  Window window;

 private:
  double attn_drop_;
  std::shared_ptr<Dropout> proj_drop_;
};

// Swin v2 window attention (timm's swin_transformer_v2.WindowAttention).
class WindowAttentionV2 : public Module {
 public:
  // `pretrained_window` (0 = the window itself) sets the scale of the relative
  // coordinates, so that a model fine-tuned at a larger window sees the offsets it was
  // trained on at the same coordinates.
  WindowAttentionV2(int64_t dim, int64_t num_heads, Window window, bool qkv_bias = true,
                    double attn_drop = 0.0, double proj_drop = 0.0,
                    Window pretrained_window = {0, 0});
  Tensor forward(const Tensor& windows) override { return forward(windows, Tensor(), nullptr); }
  Tensor forward(const Tensor& windows, const Tensor& mask, Tensor* attention_map);
  Tensor relative_position_bias();  // 16 * sigmoid(cpb_mlp(coords)): [heads, N, N]

  Tensor logit_scale;                   // [heads, 1, 1], log of the cosine-attention temperature
  std::shared_ptr<Sequential> cpb_mlp;  // Linear(2, 512), ReLU, Linear(512, heads, no bias)
  std::shared_ptr<Linear> qkv, proj;    // qkv without bias: q_bias, 0, v_bias are added
  Tensor q_bias, v_bias;                // [C], undefined without qkv_bias
  Tensor k_bias;                        // zeros [C], not in the state_dict
  Tensor relative_coords_table;         // [(2Wh-1)(2Ww-1), 2], not in the state_dict
  Tensor relative_position_index;       // i64 [N * N], not in the state_dict
  int64_t num_heads;
  Window window;

 private:
  double attn_drop_;
  std::shared_ptr<Dropout> proj_drop_;
};

}  // namespace fovea
