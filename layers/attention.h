#pragma once
// Multi-head self-attention as in ViT (Dosovitskiy et al., 2021) and timm's Attention:
// one qkv projection, scaled dot-product attention per head, an output projection.
// Also LayerScale (Touvron et al., 2021), used by DINOv2-style ViTs such as RadDINO.
#include "layers/linear.h"
#include "layers/regularization.h"

namespace fovea {

class Attention : public Module {
 public:
  Attention(int64_t dim, int64_t num_heads, bool qkv_bias = true, double attn_drop = 0.0,
            double proj_drop = 0.0);
  Tensor forward(const Tensor& x) override { return forward(x, nullptr); }
  // x [B, N, C] -> [B, N, C]; when `attention_map` is set it receives the softmax
  // probabilities [B, heads, N, N] (for attention rollout and `fovea attention`).
  Tensor forward(const Tensor& x, Tensor* attention_map);

  std::shared_ptr<Linear> qkv, proj;
  int64_t num_heads;

 private:
  double attn_drop_;
  std::shared_ptr<Dropout> proj_drop_;
};

class LayerScale : public Module {
 public:
  LayerScale(int64_t dim, double init_values);
  Tensor forward(const Tensor& x) override { return mul(x, gamma); }
  Tensor gamma;  // [dim]
};

}  // namespace fovea
