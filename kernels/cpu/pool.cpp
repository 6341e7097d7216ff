// CPU reference for 2-D pooling (kernels/pool.h), NHWC.
//
// Forward kernels run over output pixels with the channels innermost (contiguous in
// NHWC, so every window pixel is one vectorisable pass over a channel row). The backward
// kernels scatter into grad_x; windows of neighbouring outputs overlap, so the work is
// split over (image, channel block) pairs, which never share a gradient element.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/cpu/parallel.h"
#include "kernels/pool.h"

namespace fovea::kernels {

namespace {

// Floor division, also for a negative numerator.
int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace

int64_t pool_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, bool ceil_mode) {
  int64_t out = floor_div(in + 2 * pad - kernel + (ceil_mode ? stride - 1 : 0), stride) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

PoolWindows pool_windows(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t pad,
                         bool count_include_pad) {
  PoolWindows windows;
  for (int64_t i = 0; i < out; ++i) {
    const int64_t start = i * stride - pad;
    const int64_t padded_end = std::min(start + kernel, in + pad);
    const int64_t begin = std::max<int64_t>(start, 0), end = std::min(padded_end, in);
    windows.begin.push_back(begin);
    windows.end.push_back(end);
    windows.divisor.push_back(count_include_pad ? padded_end - start : end - begin);
  }
  return windows;
}

PoolWindows adaptive_pool_windows(int64_t in, int64_t out) {
  PoolWindows windows;
  for (int64_t i = 0; i < out; ++i) {
    const int64_t begin = i * in / out, end = ((i + 1) * in + out - 1) / out;
    windows.begin.push_back(begin);
    windows.end.push_back(end);
    windows.divisor.push_back(end - begin);
  }
  return windows;
}

PoolWindows pool_windows(const PoolAxis& a) {
  return a.adaptive ? adaptive_pool_windows(a.in, a.out)
                    : pool_windows(a.in, a.out, a.kernel, a.stride, a.pad, a.count_include_pad);
}

namespace cpu {

namespace {

constexpr int64_t kChannelBlock = 64;

// Runs body(n, c0, c1) over every (image, channel block) pair, in parallel.
template <typename Body>
void for_each_image_block(const PoolShape& s, int64_t cost_per_channel, Body&& body) {
  const int64_t blocks = (s.channels + kChannelBlock - 1) / kChannelBlock;
  parallel_for(s.batch * blocks, cost_per_channel * kChannelBlock, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / blocks, c0 = (item % blocks) * kChannelBlock;
      body(n, c0, std::min(s.channels, c0 + kChannelBlock));
    }
  });
}

}  // namespace

template <typename T>
void max_pool2d_forward(const PoolShape& s, const PoolWindows& rows, const PoolWindows& cols,
                        const T* x, T* y, int64_t* indices) {
  const int64_t c = s.channels;
  // The running maximum of a block of channels lives in local arrays, and the update is a
  // pair of selects, not a branch: both are what lets the compiler vectorise the channel
  // loop (through the output pointers, or with a data-dependent branch, it ran scalar
  // at ~1.5 GB/s).
  constexpr int64_t kLanes = 64;
  parallel_for(s.batch * s.out_h, s.out_w * c * 4, [&](int64_t begin, int64_t end) {
    T best[kLanes];
    int64_t arg[kLanes];
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / s.out_h, oh = row % s.out_h;
      const T* image = x + n * s.in_h * s.in_w * c;
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        for (int64_t c0 = 0; c0 < c; c0 += kLanes) {
          const int64_t lanes = std::min(kLanes, c - c0);
          const int64_t first = rows.begin[oh] * s.in_w + cols.begin[ow];
          for (int64_t l = 0; l < lanes; ++l) {
            best[l] = -std::numeric_limits<T>::infinity();
            arg[l] = first;
          }
          for (int64_t ih = rows.begin[oh]; ih < rows.end[oh]; ++ih) {
            for (int64_t iw = cols.begin[ow]; iw < cols.end[ow]; ++iw) {
              const int64_t at = ih * s.in_w + iw;
              const T* src = image + at * c + c0;
              for (int64_t l = 0; l < lanes; ++l) {
                const T v = src[l];
                const bool take = v > best[l] || v != v;
                best[l] = take ? v : best[l];
                arg[l] = take ? at : arg[l];
              }
            }
          }
          const int64_t out_at = (row * s.out_w + ow) * c + c0;
          std::copy(best, best + lanes, y + out_at);
          std::copy(arg, arg + lanes, indices + out_at);
        }
      }
    }
  });
}

template <typename T>
void max_pool2d_backward(const PoolShape& s, const T* grad_y, const int64_t* indices, T* grad_x) {
  const int64_t c = s.channels, in_pixels = s.in_h * s.in_w, out_pixels = s.out_h * s.out_w;
  for_each_image_block(s, in_pixels + out_pixels, [&](int64_t n, int64_t c0, int64_t c1) {
    T* image = grad_x + n * in_pixels * c;
    for (int64_t p = 0; p < in_pixels; ++p) std::fill(image + p * c + c0, image + p * c + c1, T(0));
    for (int64_t p = 0; p < out_pixels; ++p) {
      const T* g = grad_y + (n * out_pixels + p) * c;
      const int64_t* index = indices + (n * out_pixels + p) * c;
      for (int64_t ch = c0; ch < c1; ++ch) image[index[ch] * c + ch] += g[ch];
    }
  });
}

template <typename T>
void avg_pool2d_forward(const PoolShape& s, const PoolWindows& rows, const PoolWindows& cols,
                        const T* x, T* y) {
  const int64_t c = s.channels;
  parallel_for(s.batch * s.out_h, s.out_w * c * 4, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / s.out_h, oh = row % s.out_h;
      const T* image = x + n * s.in_h * s.in_w * c;
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        T* out = y + (row * s.out_w + ow) * c;
        std::fill(out, out + c, T(0));
        for (int64_t ih = rows.begin[oh]; ih < rows.end[oh]; ++ih) {
          for (int64_t iw = cols.begin[ow]; iw < cols.end[ow]; ++iw) {
            const T* src = image + (ih * s.in_w + iw) * c;
            for (int64_t ch = 0; ch < c; ++ch) out[ch] += src[ch];
          }
        }
        const T divisor = static_cast<T>(rows.divisor[oh] * cols.divisor[ow]);
        for (int64_t ch = 0; ch < c; ++ch) out[ch] /= divisor;
      }
    }
  });
}

template <typename T>
void avg_pool2d_backward(const PoolShape& s, const PoolWindows& rows, const PoolWindows& cols,
                         const T* grad_y, T* grad_x) {
  const int64_t c = s.channels, in_pixels = s.in_h * s.in_w, out_pixels = s.out_h * s.out_w;
  for_each_image_block(s, in_pixels + out_pixels * 4, [&](int64_t n, int64_t c0, int64_t c1) {
    T* image = grad_x + n * in_pixels * c;
    for (int64_t p = 0; p < in_pixels; ++p) std::fill(image + p * c + c0, image + p * c + c1, T(0));
    T share[kChannelBlock];
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        const T* g = grad_y + ((n * s.out_h + oh) * s.out_w + ow) * c;
        const T divisor = static_cast<T>(rows.divisor[oh] * cols.divisor[ow]);
        for (int64_t ch = c0; ch < c1; ++ch) share[ch - c0] = g[ch] / divisor;
        for (int64_t ih = rows.begin[oh]; ih < rows.end[oh]; ++ih) {
          for (int64_t iw = cols.begin[ow]; iw < cols.end[ow]; ++iw) {
            T* dst = image + (ih * s.in_w + iw) * c;
            for (int64_t ch = c0; ch < c1; ++ch) dst[ch] += share[ch - c0];
          }
        }
      }
    }
  });
}

template void max_pool2d_forward<float>(const PoolShape&, const PoolWindows&, const PoolWindows&,
                                        const float*, float*, int64_t*);
template void max_pool2d_forward<double>(const PoolShape&, const PoolWindows&, const PoolWindows&,
                                         const double*, double*, int64_t*);
template void max_pool2d_backward<float>(const PoolShape&, const float*, const int64_t*, float*);
template void max_pool2d_backward<double>(const PoolShape&, const double*, const int64_t*, double*);
template void avg_pool2d_forward<float>(const PoolShape&, const PoolWindows&, const PoolWindows&,
                                        const float*, float*);
template void avg_pool2d_forward<double>(const PoolShape&, const PoolWindows&, const PoolWindows&,
                                         const double*, double*);
template void avg_pool2d_backward<float>(const PoolShape&, const PoolWindows&, const PoolWindows&,
                                         const float*, float*);
template void avg_pool2d_backward<double>(const PoolShape&, const PoolWindows&, const PoolWindows&,
                                          const double*, double*);

}  // namespace cpu
}  // namespace fovea::kernels
