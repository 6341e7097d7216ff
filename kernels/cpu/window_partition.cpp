// CPU reference for window_partition / window_reverse with the cyclic shift
// (kernels/window_partition.h): a loop over the window tokens, each copying (or zeroing)
// one row of C elements. A window token and its grid pixel are one pair of the bijection
// between unpadded window tokens and pixels, so the reverse writes every pixel once.
#include <cstring>

#include "kernels/cpu/parallel.h"
#include "kernels/window_partition.h"

namespace fovea::kernels::cpu {

namespace {

// Calls copy(token, pixel) for every window token in [0, B rows cols Wh Ww), with `pixel`
// the flat index of its source pixel in [B, H, W], or -1 for a padding token.
template <typename Copy>
void for_each_token(const WindowPartitionShape& s, int64_t cost, Copy&& copy) {
  const int64_t area = s.window_h * s.window_w;
  const int64_t tokens = s.batch * s.rows * s.cols * area;
  parallel_for(tokens, cost, [&](int64_t begin, int64_t end) {
    for (int64_t token = begin; token < end; ++token) {
      const int64_t window = token / area, within = token % area;
      const int64_t col = window % s.cols, row = (window / s.cols) % s.rows;
      const int64_t image = window / (s.cols * s.rows);
      const int64_t h = row * s.window_h + within / s.window_w;
      const int64_t w = col * s.window_w + within % s.window_w;
      if (h >= s.height || w >= s.width) {
        copy(token, int64_t{-1});
        continue;
      }
      const int64_t source_h = (h + s.shift_h) % s.height;
      const int64_t source_w = (w + s.shift_w) % s.width;
      copy(token, (image * s.height + source_h) * s.width + source_w);
    }
  });
}

}  // namespace

void window_partition(const void* x, void* windows, const WindowPartitionShape& s,
                      int64_t elem_size) {
  const int64_t row_bytes = s.channels * elem_size;
  const char* src = static_cast<const char*>(x);
  char* dst = static_cast<char*>(windows);
  for_each_token(s, s.channels, [&](int64_t token, int64_t pixel) {
    if (pixel < 0) {
      std::memset(dst + token * row_bytes, 0, static_cast<size_t>(row_bytes));
    } else {
      std::memcpy(dst + token * row_bytes, src + pixel * row_bytes, static_cast<size_t>(row_bytes));
    }
  });
}

void window_reverse(const void* windows, void* x, const WindowPartitionShape& s,
                    int64_t elem_size) {
  const int64_t row_bytes = s.channels * elem_size;
  const char* src = static_cast<const char*>(windows);
  char* dst = static_cast<char*>(x);
  for_each_token(s, s.channels, [&](int64_t token, int64_t pixel) {
    if (pixel >= 0) {
      std::memcpy(dst + pixel * row_bytes, src + token * row_bytes, static_cast<size_t>(row_bytes));
    }
  });
}

}  // namespace fovea::kernels::cpu
