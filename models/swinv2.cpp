// Swin Transformer V2: Liu, Hu, Lin, Yao, Xie, Wei, Ning, Cao, Zhang, Dong, Wei and Guo,
// "Swin Transformer V2: Scaling Up Capacity and Resolution", CVPR 2022 (arXiv:2111.09883).
//
// Swin v1's stages and shifted windows (models/swin.cpp) with three changes that make deep
// and high-resolution models train stably and transfer across window sizes:
//  - residual post-norm: x + LN(branch(x)) instead of x + branch(LN(x)), with the norms
//    starting at zero so that every block starts as the identity;
//  - scaled cosine attention with a learned temperature per head (WindowAttentionV2);
//  - a continuous, log-spaced relative position bias from a small MLP instead of a table.
// Patch merging normalises after its projection. The layout follows timm 0.9.16
// (swin_transformer_v2.py): q_bias and v_bias are separate parameters (torchvision keeps
// one qkv bias whose k third it zeroes in forward).
#include "layers/init.h"
#include "layers/mlp.h"
#include "models/families.h"
#include "models/swin.h"

namespace fovea {

namespace swin {

namespace {

class SwinTransformerV2Block : public Block {
 public:
  explicit SwinTransformerV2Block(const BlockSpec& spec) : Block("SwinTransformerV2Block", spec) {
    // timm's Swin V2 cuts the grid into windows without padding.
    FOVEA_CHECK(grid_[0] % window_.window[0] == 0 && grid_[1] % window_.window[1] == 0,
                "SwinTransformerV2Block: a {}x{} token grid is not a multiple of the {}x{} "
                "window; choose an img_size whose stage grids are multiples of the window (or no "
                "larger than it)",
                grid_[0], grid_[1], window_.window[0], window_.window[1]);
    attn = register_module(
        "attn", std::make_shared<WindowAttentionV2>(spec.dim, spec.num_heads, window_.window));
    norm1 = register_module("norm1", std::make_shared<LayerNorm>(spec.dim));
    drop_path1 = register_module("drop_path1", std::make_shared<DropPath>(spec.drop_path));
    mlp = register_module(
        "mlp", std::make_shared<Mlp>(spec.dim, static_cast<int64_t>(spec.dim * spec.mlp_ratio)));
    norm2 = register_module("norm2", std::make_shared<LayerNorm>(spec.dim));
    drop_path2 = register_module("drop_path2", std::make_shared<DropPath>(spec.drop_path));
    // timm's _init_respostnorm: the post-norms start at zero, each block as the identity.
    for (const auto& norm : {norm1, norm2}) {
      init::zeros_(norm->weight);
      init::zeros_(norm->bias);
    }
  }

  Tensor forward(const Tensor& x, std::vector<Tensor>* attention_maps) override {
    // x: [B, H, W, C]
    const Tensor y = add(x, (*drop_path1)((*norm1)(attend(*attn, x, attention_maps))));
    return add(y, (*drop_path2)((*norm2)((*mlp)(y))));
  }

  std::shared_ptr<WindowAttentionV2> attn;
  std::shared_ptr<LayerNorm> norm1, norm2;
  std::shared_ptr<Mlp> mlp;
  std::shared_ptr<DropPath> drop_path1, drop_path2;
};

// torchvision's ShiftedWindowAttentionV2 has one qkv.bias [3C] and zeroes its k third in
// forward; timm (and fovea) keep q_bias and v_bias.
void split_torchvision_qkv_bias(TensorMap& state) {
  for (auto it = state.begin(); it != state.end();) {
    const std::string& key = it->first;
    if (!key.ends_with(".attn.qkv.bias")) {
      ++it;
      continue;
    }
    const std::string attn = key.substr(0, key.size() - std::string("qkv.bias").size());
    const Tensor bias = it->second;
    const int64_t dim = bias.size(0) / 3;
    state[attn + "q_bias"] = bias.slice(0, 0, dim).contiguous();
    state[attn + "v_bias"] = bias.slice(0, 2 * dim, 3 * dim).contiguous();
    it = state.erase(it);
  }
}

}  // namespace

}  // namespace swin

std::vector<ModelInfo> swinv2_models() {
  return {
      {.name = "swinv2_tiny_window8_256",
       .family = "swinv2",
       .default_img_size = 256,
       .smoke_img_size = 64,
       .create =
           [](const ModelConfig& c) {
             return std::make_shared<swin::SwinTransformer>(
                 c,
                 swin::Architecture{.name = "SwinTransformerV2",
                                    .variant = {.embed_dim = 96,
                                                .depths = {2, 2, 6, 2},
                                                .num_heads = {3, 6, 12, 24},
                                                .window = 8},
                                    .merge_norm = PatchMerging::Norm::after_reduction,
                                    .make_block = [](const swin::BlockSpec& spec) {
                                      return std::make_shared<swin::SwinTransformerV2Block>(spec);
                                    }});
           },
       .torchvision_name = "swin_v2_t",
       .torchvision_keys = swin::torchvision_key,
       .torchvision_convert = swin::split_torchvision_qkv_bias},
  };
}

}  // namespace fovea
