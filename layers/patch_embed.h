#pragma once
// Image to patch tokens (ViT): a conv with kernel = stride = patch size, then the grid is
// flattened to a sequence. [B, H, W, C] -> [B, (H/p)*(W/p), D].
#include "layers/conv.h"

namespace fovea {

class PatchEmbed : public Module {
 public:
  PatchEmbed(int64_t patch_size, int64_t in_chans, int64_t embed_dim, bool bias = true);
  Tensor forward(const Tensor& x) override;
  // The token grid for an input of this height and width.
  std::array<int64_t, 2> grid_size(int64_t height, int64_t width) const;

  std::shared_ptr<Conv2d> proj;
  int64_t patch_size;
};

}  // namespace fovea
