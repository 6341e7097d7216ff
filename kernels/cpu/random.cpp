// CPU reference for the random streams and the dropout / drop_path masks
// (kernels/random.h).
//
// One Philox block gives four consecutive draws, so the loops walk the output in groups
// of four and compute each block once; which group a thread gets does not change any
// number.
#include "kernels/random.h"

#include <cmath>

#include "kernels/cpu/parallel.h"

namespace fovea::kernels::cpu {

void fill_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset) {
  parallel_for((n + 3) / 4, 4, [&](int64_t begin, int64_t end) {
    for (int64_t block = begin; block < end; ++block) {
      const Philox4 draws = philox_block(offset + static_cast<uint64_t>(block), seed);
      for (int64_t lane = 0; lane < 4 && 4 * block + lane < n; ++lane) {
        out[4 * block + lane] = uniform_from_bits(draws.v[lane]);
      }
    }
  });
}

void fill_normal(float* out, int64_t n, uint64_t seed, uint64_t offset) {
  constexpr double kTwoPi = 6.283185307179586;
  // A block holds the two pairs of draws of outputs [4b, 4b + 4).
  parallel_for((n + 3) / 4, 16, [&](int64_t begin, int64_t end) {
    for (int64_t block = begin; block < end; ++block) {
      const Philox4 draws = philox_block(offset + static_cast<uint64_t>(block), seed);
      for (int64_t pair = 0; pair < 2; ++pair) {
        const int64_t i = 4 * block + 2 * pair;
        if (i >= n) break;
        // 1 - u keeps the log argument in (0, 1].
        const double u1 = uniform_from_bits(draws.v[2 * pair]);
        const double u2 = uniform_from_bits(draws.v[2 * pair + 1]);
        const double radius = std::sqrt(-2.0 * std::log(1.0 - u1));
        out[i] = static_cast<float>(radius * std::cos(kTwoPi * u2));
        if (i + 1 < n) out[i + 1] = static_cast<float>(radius * std::sin(kTwoPi * u2));
      }
    }
  });
}

template <typename T>
void apply_row_mask(const T* x, T* out, int64_t rows, int64_t row_len, const RowMask& mask) {
  const int64_t groups = (rows + 3) / 4;
  const T scale = static_cast<T>(mask.scale);
  parallel_for(groups, 4 * row_len, [&](int64_t begin, int64_t end) {
    for (int64_t group = begin; group < end; ++group) {
      const Philox4 draws = philox_block(mask.offset + static_cast<uint64_t>(group), mask.seed);
      for (int64_t lane = 0; lane < 4; ++lane) {
        const int64_t row = 4 * group + lane;
        if (row >= rows) break;
        // Same test as dropout_keeps(), on the draw of this block's lane.
        const bool keep = static_cast<double>(uniform_from_bits(draws.v[lane])) >= mask.p;
        const T factor = keep ? scale : T(0);
        const T* in = x + row * row_len;
        T* o = out + row * row_len;
        for (int64_t j = 0; j < row_len; ++j) o[j] = in[j] * factor;
      }
    }
  });
}

template void apply_row_mask<float>(const float*, float*, int64_t, int64_t, const RowMask&);
template void apply_row_mask<double>(const double*, double*, int64_t, int64_t, const RowMask&);

}  // namespace fovea::kernels::cpu
