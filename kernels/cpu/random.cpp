// CPU reference for the dropout / drop_path masks (kernels/random.h).
//
// One Philox block gives the draws of four consecutive rows, so the loop walks the rows
// in groups of four and computes each block once; which group a thread gets does not
// change any decision.
#include "kernels/random.h"

#include "kernels/cpu/parallel.h"

namespace fovea::kernels::cpu {

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
