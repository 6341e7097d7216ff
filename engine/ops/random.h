#pragma once
// Random regularisers: dropout and drop_path (stochastic depth). Both draw their masks
// with Philox from a Generator (the default generator when null), so a seed fixes them on
// every device and a checkpointed segment that replays the RNG state replays the mask.
#include "engine/rng.h"
#include "engine/tensor.h"

namespace fovea {

// Keeps each element with probability 1 - p and scales it by 1 / (1 - p); the identity
// when !training or p == 0, zeros when p == 1. Reserves x.numel() draws; element i (in
// row-major order) is kept iff uniform_from_bits(philox_draw(seed, offset, i)) >= p.
Tensor dropout(const Tensor& x, double p, bool training, Generator* generator = nullptr);

// Stochastic depth as timm's drop_path: one keep/drop decision per sample (dim 0),
// broadcast over the other dims, scaled by 1 / (1 - p) when scale_by_keep. Reserves
// x.size(0) draws, decided like dropout's.
Tensor drop_path(const Tensor& x, double p, bool training, bool scale_by_keep = true,
                 Generator* generator = nullptr);

}  // namespace fovea
