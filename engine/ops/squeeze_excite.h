#pragma once
// The two memory-bound halves of squeeze-and-excitation over channels-last maps
// (layers/squeeze_excite.cpp): the squeeze, a global average pool per (sample, channel),
// and the excite, a per-(sample, channel) scale of every position. On the CPU they are
// the existing mean() and broadcasting mul(); on CUDA each is one fused kernel forward
// and backward (kernels/cuda/squeeze_excite.cu).
#include "engine/tensor.h"

namespace fovea {

// x: [N, ..., C] with at least 3 dims (NHWC: [N, H, W, C]). Returns the mean over every
// dim between the batch and the channels, kept as size-1 dims: [N, 1, ..., 1, C].
Tensor channel_mean(const Tensor& x);

// x: [N, ..., C]; scale: N * C values as [N, C] or [N, 1, ..., 1, C]. Returns
// x * scale[n, c] with x's shape.
Tensor channel_scale(const Tensor& x, const Tensor& scale);

}  // namespace fovea
