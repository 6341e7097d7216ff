#include "layers/patch_merging.h"

namespace fovea {

PatchMerging::PatchMerging(int64_t dim, int64_t out_dim, Norm norm_position)
    : Module("PatchMerging"), norm_position_(norm_position) {
  if (out_dim < 0) out_dim = 2 * dim;
  // Registered in timm's order, so that parameters list the way they do there.
  if (norm_position == Norm::before_reduction) {
    norm = register_module("norm", std::make_shared<LayerNorm>(4 * dim));
    reduction = register_module("reduction", std::make_shared<Linear>(4 * dim, out_dim, false));
  } else {
    reduction = register_module("reduction", std::make_shared<Linear>(4 * dim, out_dim, false));
    norm = register_module("norm", std::make_shared<LayerNorm>(out_dim));
  }
}

Tensor PatchMerging::forward(const Tensor& x) {
  FOVEA_CHECK(x.dim() == 4 && x.size(1) % 2 == 0 && x.size(2) % 2 == 0 &&
                  x.size(3) * 4 == reduction->in_features(),
              "PatchMerging: expected a grid [B, H, W, {}] with even H and W, got {}",
              reduction->in_features() / 4, shape_str(x.shape()));
  const int64_t batch = x.size(0), height = x.size(1), width = x.size(2), channels = x.size(3);
  // [B, H/2, 2 (row), W/2, 2 (col), C] -> [B, H/2, W/2, col, row, C] -> [B, H/2, W/2, 4C]
  const Tensor merged = x.reshape({batch, height / 2, 2, width / 2, 2, channels})
                            .permute({0, 1, 3, 4, 2, 5})
                            .reshape({batch, height / 2, width / 2, 4 * channels});
  return norm_position_ == Norm::before_reduction ? (*reduction)((*norm)(merged))
                                                  : (*norm)((*reduction)(merged));
}

}  // namespace fovea
