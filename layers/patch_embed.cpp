#include "layers/patch_embed.h"

namespace fovea {

PatchEmbed::PatchEmbed(int64_t patch, int64_t in_chans, int64_t embed_dim, bool bias)
    : Module("PatchEmbed"), patch_size(patch) {
  proj = register_module(
      "proj", std::make_shared<Conv2d>(
                  in_chans, embed_dim,
                  Conv2dConfig{.kernel = patch, .stride = patch, .padding = 0, .bias = bias}));
}

std::array<int64_t, 2> PatchEmbed::grid_size(int64_t height, int64_t width) const {
  FOVEA_CHECK(height % patch_size == 0 && width % patch_size == 0,
              "PatchEmbed: image size {}x{} is not a multiple of the patch size {}", height, width,
              patch_size);
  return {height / patch_size, width / patch_size};
}

Tensor PatchEmbed::forward(const Tensor& x) {
  grid_size(x.size(1), x.size(2));  // checks divisibility with a clear message
  const Tensor grid = (*proj)(x);   // [B, H/p, W/p, D]
  return grid.reshape({grid.size(0), grid.size(1) * grid.size(2), grid.size(3)});
}

}  // namespace fovea
