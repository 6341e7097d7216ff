#pragma once
// Patch merging (Swin's downsampling between stages): halves the token grid and, by
// default, doubles the channels. Each 2x2 neighbourhood of x [B, H, W, C] is concatenated
// into 4C channels in the order x[0::2, 0::2], x[1::2, 0::2], x[0::2, 1::2], x[1::2, 1::2]
// (timm's and torchvision's) and projected by a linear layer without bias ("reduction"),
// with a LayerNorm ("norm") either before the projection, over 4C (Swin v1), or after it,
// over the output channels (Swin v2, whose blocks normalise after each residual branch).
#include "layers/linear.h"
#include "layers/norm.h"

namespace fovea {

class PatchMerging : public Module {
 public:
  enum class Norm { before_reduction, after_reduction };  // v1, v2
  PatchMerging(int64_t dim, int64_t out_dim = -1, Norm norm_position = Norm::before_reduction);
  Tensor forward(const Tensor& x) override;  // [B, H, W, C] -> [B, H/2, W/2, out_dim]

  std::shared_ptr<LayerNorm> norm;
  std::shared_ptr<Linear> reduction;  // [out_dim, 4C]

 private:
  Norm norm_position_;
};

}  // namespace fovea
