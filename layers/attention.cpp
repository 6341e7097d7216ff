#include "layers/attention.h"

#include "engine/ops/attention.h"

namespace fovea {

Attention::Attention(int64_t dim, int64_t heads, bool qkv_bias, double attn_drop, double proj_drop)
    : Module("Attention"),
      num_heads(heads),
      attn_drop_(attn_drop),
      proj_drop_(std::make_shared<Dropout>(proj_drop)) {
  FOVEA_CHECK(dim % heads == 0, "Attention: dim {} is not divisible by {} heads", dim, heads);
  qkv = register_module("qkv", std::make_shared<Linear>(dim, 3 * dim, qkv_bias));
  proj = register_module("proj", std::make_shared<Linear>(dim, dim));
  register_module("proj_drop", proj_drop_);
}

Tensor Attention::forward(const Tensor& x, Tensor* attention_map) {
  const int64_t batch = x.size(0), tokens = x.size(1), dim = x.size(2);
  const int64_t head_dim = dim / num_heads;
  // [B, N, 3C] -> [3, B, heads, N, head_dim]
  const Tensor qkv_heads =
      (*qkv)(x).reshape({batch, tokens, 3, num_heads, head_dim}).permute({2, 0, 3, 1, 4});
  AttentionOptions options;
  options.dropout_p = is_training() ? attn_drop_ : 0.0;
  options.probabilities = attention_map;
  const Tensor out = scaled_dot_product_attention(qkv_heads.select(0, 0), qkv_heads.select(0, 1),
                                                  qkv_heads.select(0, 2), options);
  // [B, heads, N, head_dim] -> [B, N, C]
  return (*proj_drop_)((*proj)(out.transpose(1, 2).reshape({batch, tokens, dim})));
}

LayerScale::LayerScale(int64_t dim, double init_values) : Module("LayerScale") {
  register_parameter("gamma", &gamma, full({dim}, init_values));
}

}  // namespace fovea
