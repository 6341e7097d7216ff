#pragma once
// The two memory-bound halves of squeeze-and-excitation over channels-last maps
// (layers/squeeze_excite.cpp): the squeeze, a global average pool per (sample, channel),
// and the excite, a per-(sample, channel) scale of every position. Each is one graph node
// with a fused kernel forward and backward on every device (kernels/cpu/squeeze_excite.cpp,
// kernels/cuda/squeeze_excite.cu), giving the values of mean() and broadcasting mul().
#include "engine/tensor.h"

namespace fovea {

// x: [N, ..., C] with at least 3 dims (NHWC: [N, H, W, C]). Returns the mean over every
// dim between the batch and the channels, kept as size-1 dims: [N, 1, ..., 1, C].
Tensor channel_mean(const Tensor& x);

// x: [N, ..., C]; scale: N * C values as [N, C] or [N, 1, ..., 1, C]. Returns
// x * scale[n, c] with x's shape.
Tensor channel_scale(const Tensor& x, const Tensor& scale);

}  // namespace fovea
