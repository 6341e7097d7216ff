// CPU reference for squeeze-and-excitation (kernels/squeeze_excite.h): the squeeze is a
// per-(sample, channel) sum over positions with the channels innermost (contiguous in
// NHWC), the excite a per-(sample, channel) scale of every position.
#include "kernels/squeeze_excite.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/parallel.h"

namespace fovea::kernels::cpu {

template <typename T>
void spatial_sum(const T* a, const T* b, double scale, T* out, SpatialShape s) {
  const int64_t C = s.channels, plane = s.spatial * C;
  parallel_for(s.batch, plane, [&](int64_t begin, int64_t end) {
    std::vector<double> total(static_cast<size_t>(C));
    for (int64_t n = begin; n < end; ++n) {
      std::fill(total.begin(), total.end(), 0.0);
      const T* an = a + n * plane;
      const T* bn = b ? b + n * plane : nullptr;
      for (int64_t p = 0; p < s.spatial; ++p) {
        for (int64_t c = 0; c < C; ++c) {
          const double v = static_cast<double>(an[p * C + c]);
          total[c] += bn ? v * static_cast<double>(bn[p * C + c]) : v;
        }
      }
      for (int64_t c = 0; c < C; ++c) out[n * C + c] = static_cast<T>(total[c] * scale);
    }
  });
}

template <typename T>
void channel_broadcast(const T* x, const T* s_vec, double scale, T* out, SpatialShape s) {
  const int64_t C = s.channels, plane = s.spatial * C;
  parallel_for(s.batch, plane, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      const T* sn = s_vec + n * C;
      T* on = out + n * plane;
      if (x) {  // the excite: x * s, rounded once as mul() rounds it
        const T* xn = x + n * plane;
        for (int64_t p = 0; p < s.spatial; ++p) {
          for (int64_t c = 0; c < C; ++c) on[p * C + c] = xn[p * C + c] * sn[c];
        }
      } else {
        for (int64_t p = 0; p < s.spatial; ++p) {
          for (int64_t c = 0; c < C; ++c) {
            on[p * C + c] = static_cast<T>(static_cast<double>(sn[c]) * scale);
          }
        }
      }
    }
  });
}

template void spatial_sum<float>(const float*, const float*, double, float*, SpatialShape);
template void spatial_sum<double>(const double*, const double*, double, double*, SpatialShape);
template void channel_broadcast<float>(const float*, const float*, double, float*, SpatialShape);
template void channel_broadcast<double>(const double*, const double*, double, double*,
                                        SpatialShape);

}  // namespace fovea::kernels::cpu
