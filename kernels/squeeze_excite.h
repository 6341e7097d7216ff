#pragma once
// Squeeze-and-excitation over NHWC: x is a contiguous [batch, spatial, channels] block
// (spatial = H * W), the per-(sample, channel) vectors are [batch, channels]. The CPU
// reference is declared here; the CUDA launchers are kernels/cuda/squeeze_excite.h.
#include <cstdint>

namespace fovea::kernels {

struct SpatialShape {
  int64_t batch = 1;
  int64_t spatial = 1;
  int64_t channels = 1;
};

}  // namespace fovea::kernels

namespace fovea::kernels::cpu {

// out[n, c] = scale * sum over s of a[n, s, c] (times b[n, s, c] when b is not null),
// accumulated in double in spatial order. T: float, double.
template <typename T>
void spatial_sum(const T* a, const T* b, double scale, T* out, SpatialShape shape);

// out[n, s, c] = x[n, s, c] * s_vec[n, c] when x is not null (then scale must be 1), else
// s_vec[n, c] * scale. T: float, double.
template <typename T>
void channel_broadcast(const T* x, const T* s_vec, double scale, T* out, SpatialShape shape);

}  // namespace fovea::kernels::cpu
