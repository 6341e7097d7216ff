#pragma once
// What the ViT family offers beyond the registry: a VisionTransformer of any shape (timm's
// VisionTransformer(**kwargs); the registry's presets are such shapes), and resampling a
// learned absolute position embedding to another patch grid, as timm does when a ViT is
// used at another image size.
#include <array>

#include "models/model.h"

namespace fovea {

struct VitConfig {
  int64_t patch_size = 16;
  int64_t embed_dim = 768;
  int64_t depth = 12;
  int64_t num_heads = 12;
  double mlp_ratio = 4.0;
  double layer_scale_init = 0.0;  // LayerScale's initial gamma; 0: no LayerScale
};

// config.img_size must be set (a multiple of the patch size); timm's state_dict names.
ModelPtr create_vit(const VitConfig& vit, const ModelConfig& config);

// pos_embed [1, prefix + h*w, D] for a square grid (h = w) -> [1, prefix + H*W, D] for
// `grid` = {H, W}: the first `num_prefix_tokens` rows (class token) are kept, the grid
// rows are resized with bicubic interpolation (align_corners off, no antialiasing), as
// timm's resample_abs_pos_embed(..., antialias=False). timm 0.9.16's checkpoint filter
// passes antialias=True (PIL-style, a = -0.5 and a widened kernel when shrinking), which
// fovea's interpolate does not offer; the two differ by a few percent of the table when
// enlarging it. Not differentiable: it adapts weights before they are loaded.
Tensor resample_abs_pos_embed(const Tensor& pos_embed, std::array<int64_t, 2> grid,
                              int64_t num_prefix_tokens = 1);

}  // namespace fovea
