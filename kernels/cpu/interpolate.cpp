// CPU reference for 2-D interpolation of NHWC images (kernels/shape.h), matching
// torch.nn.functional.interpolate of PyTorch 1.13 (aten/src/ATen/native/UpSample.h and
// UpSampleKernel.cpp) to the rounding of each step.
//
// Every mode is separable: output row oh reads up to four source rows with weights
// wh[oh][i], and output column ow up to four source columns with weights ww[ow][j], so
//   out[n, oh, ow, c] = sum_i wh[oh][i] * (sum_j ww[ow][j] * x[n, ih[oh][i], iw[ow][j], c]).
// The per-axis taps are computed once, and the channel loop is innermost, which is what
// NHWC makes contiguous. The sums run in PyTorch's order (columns inside rows).
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/parallel.h"
#include "kernels/shape.h"

namespace fovea::kernels::cpu {

namespace {

// The source pixels and weights that make each output index along one axis.
template <typename T>
struct AxisTaps {
  int count = 1;               // taps per output index
  std::vector<int64_t> index;  // [out_size * count], clamped to the input
  std::vector<T> weight;       // [out_size * count]
};

// area_pixel_compute_scale: how far the source moves per destination pixel.
template <typename T>
T source_scale(int64_t in, int64_t out, bool align_corners, double scale_factor) {
  if (align_corners) return out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0);
  if (scale_factor > 0) return static_cast<T>(1.0 / scale_factor);
  return static_cast<T>(in) / static_cast<T>(out);
}

// PyTorch 1.13 computes the taps twice, with different roundings: its forward kernels
// (UpSampleKernel.cpp) keep the source position in double until the weights are taken
// and, as built, fuse the first steps of the cubic polynomials into FMAs; its bicubic
// backward (UpSampleBicubic2d.cpp) works in T with no fused steps. Each pass here follows
// its PyTorch counterpart, so that weights agree to the last bit (found with one-hot
// inputs against Debian's build) and gradients summed over many outputs do not drift.
enum class Rounding { forward, bicubic_backward };

// a * b + c rounded once, and a * b rounded on its own: spelled out, so that no compiler
// fuses or splits them differently from the sequence above (an fma with zero is a product
// that nothing can fuse into the next addition).
template <typename T>
T fused(T a, T b, T c) {
  return std::fma(a, b, c);
}
template <typename T>
T product(T a, T b) {
  return std::fma(a, b, T(0));
}

// area_pixel_compute_source_index, from a scale already rounded to T.
template <typename T>
double source_index(T scale, int64_t dst, bool align_corners, bool cubic, Rounding rounding) {
  if (rounding == Rounding::bicubic_backward) {
    return align_corners ? product(scale, static_cast<T>(dst))
                         : product(scale, static_cast<T>(dst) + T(0.5)) - T(0.5);
  }
  // Exact in double: the scale has T's precision and dst + 0.5 a few bits.
  const double s = static_cast<double>(scale);
  if (align_corners) return s * static_cast<double>(dst);
  const double src = s * (static_cast<double>(dst) + 0.5) - 0.5;
  return (!cubic && src < 0.0) ? 0.0 : src;
}

// Keys' cubic convolution kernel with A = -0.75: ((A + 2) x - (A + 3)) x^2 + 1 for
// |x| <= 1, and ((A x - 5 A) x + 8 A) x - 4 A for 1 < |x| < 2.
template <typename T>
T cubic_near(T x, T a, Rounding rounding) {
  const T inner =
      rounding == Rounding::forward ? fused(a + 2, x, -(a + 3)) : product(a + 2, x) - (a + 3);
  return product(product(inner, x), x) + 1;
}
template <typename T>
T cubic_far(T x, T a, Rounding rounding) {
  const T inner = rounding == Rounding::forward ? fused(fused(a, x, -5 * a), x, 8 * a)
                                                : product(product(a, x) - 5 * a, x) + 8 * a;
  return product(inner, x) - 4 * a;
}

template <typename T>
AxisTaps<T> axis_taps(int64_t in, int64_t out, InterpolateMode mode, bool align_corners,
                      double scale_factor, Rounding rounding) {
  AxisTaps<T> taps;
  taps.count = mode == InterpolateMode::nearest ? 1 : mode == InterpolateMode::bilinear ? 2 : 4;
  taps.index.resize(out * taps.count);
  taps.weight.resize(out * taps.count);
  int64_t* index = taps.index.data();
  T* weight = taps.weight.data();
  switch (mode) {
    case InterpolateMode::nearest: {
      // nearest_idx: exact shortcuts for equal and doubled sizes, else floor(dst * scale)
      // in float whatever T is.
      const float scale = scale_factor > 0 ? static_cast<float>(1.0 / scale_factor)
                                           : static_cast<float>(in) / static_cast<float>(out);
      for (int64_t o = 0; o < out; ++o) {
        if (out == in) {
          index[o] = o;
        } else if (out == 2 * in) {
          index[o] = o >> 1;
        } else {
          index[o] =
              std::min(static_cast<int64_t>(std::floor(static_cast<float>(o) * scale)), in - 1);
        }
        weight[o] = T(1);
      }
      break;
    }
    case InterpolateMode::bilinear: {
      const T scale = source_scale<T>(in, out, align_corners, scale_factor);
      for (int64_t o = 0; o < out; ++o) {
        int64_t i0 = o, i1 = o;
        T lambda1 = T(0);
        if (out != in) {  // equal sizes copy, as PyTorch does
          const double real = source_index<T>(scale, o, align_corners, /*cubic=*/false, rounding);
          i0 = static_cast<int64_t>(real);
          i1 = i0 + (i0 < in - 1 ? 1 : 0);
          lambda1 = static_cast<T>(real - static_cast<double>(i0));
        }
        index[2 * o] = i0;
        index[2 * o + 1] = i1;
        weight[2 * o] = T(1) - lambda1;
        weight[2 * o + 1] = lambda1;
      }
      break;
    }
    case InterpolateMode::bicubic: {
      const T scale = source_scale<T>(in, out, align_corners, scale_factor);
      const T a = T(-0.75);
      for (int64_t o = 0; o < out; ++o) {
        const double real = source_index<T>(scale, o, align_corners, /*cubic=*/true, rounding);
        const int64_t i = static_cast<int64_t>(std::floor(static_cast<T>(real)));
        const T t = static_cast<T>(real - static_cast<double>(i));
        const T w[4] = {cubic_far<T>(t + T(1), a, rounding), cubic_near<T>(t, a, rounding),
                        cubic_near<T>(T(1) - t, a, rounding),
                        cubic_far<T>((T(1) - t) + T(1), a, rounding)};
        for (int k = 0; k < 4; ++k) {
          // Taps beyond the border read the border pixel.
          index[4 * o + k] = std::clamp<int64_t>(i - 1 + k, 0, in - 1);
          weight[4 * o + k] = w[k];
        }
      }
      break;
    }
  }
  return taps;
}

}  // namespace

InterpolateTaps interpolate_taps(int64_t in, int64_t out, InterpolateMode mode,
                                 bool align_corners, double scale_factor, bool backward) {
  const Rounding rounding = backward && mode == InterpolateMode::bicubic
                                ? Rounding::bicubic_backward
                                : Rounding::forward;
  AxisTaps<float> taps = axis_taps<float>(in, out, mode, align_corners, scale_factor, rounding);
  return {taps.count, std::move(taps.index), std::move(taps.weight)};
}

template <typename T>
void interpolate(const T* x, T* out, const InterpolateShape& s) {
  const Rounding rounding = Rounding::forward;
  const AxisTaps<T> rows =
      axis_taps<T>(s.in_h, s.out_h, s.mode, s.align_corners, s.scale_h, rounding);
  const AxisTaps<T> cols =
      axis_taps<T>(s.in_w, s.out_w, s.mode, s.align_corners, s.scale_w, rounding);
  const int64_t C = s.channels;
  const int64_t cost = s.out_w * C * rows.count * cols.count;
  parallel_for(s.batch * s.out_h, cost, [&](int64_t begin, int64_t end) {
    std::vector<T> row_sum(C);  // one source row interpolated along the width
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / s.out_h, oh = item % s.out_h;
      const T* image = x + n * s.in_h * s.in_w * C;
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        T* o = out + ((n * s.out_h + oh) * s.out_w + ow) * C;
        for (int i = 0; i < rows.count; ++i) {
          const T* source_row = image + rows.index[oh * rows.count + i] * s.in_w * C;
          for (int j = 0; j < cols.count; ++j) {
            const T* p = source_row + cols.index[ow * cols.count + j] * C;
            const T w = cols.weight[ow * cols.count + j];
            if (j == 0) {
              for (int64_t c = 0; c < C; ++c) row_sum[c] = p[c] * w;
            } else {
              for (int64_t c = 0; c < C; ++c) row_sum[c] += p[c] * w;
            }
          }
          const T w = rows.weight[oh * rows.count + i];
          if (i == 0) {
            for (int64_t c = 0; c < C; ++c) o[c] = row_sum[c] * w;
          } else {
            for (int64_t c = 0; c < C; ++c) o[c] += row_sum[c] * w;
          }
        }
      }
    }
  });
}

template <typename T>
void interpolate_backward(const T* grad_out, T* grad_x, const InterpolateShape& s) {
  const Rounding rounding =
      s.mode == InterpolateMode::bicubic ? Rounding::bicubic_backward : Rounding::forward;
  const AxisTaps<T> rows =
      axis_taps<T>(s.in_h, s.out_h, s.mode, s.align_corners, s.scale_h, rounding);
  const AxisTaps<T> cols =
      axis_taps<T>(s.in_w, s.out_w, s.mode, s.align_corners, s.scale_w, rounding);
  const int64_t C = s.channels;
  // Output pixels scatter into overlapping source pixels, so a thread owns a range of
  // channels of one image and walks every output pixel in order: no races, and the same
  // sums for any thread count.
  constexpr int64_t kChannels = 64;
  const int64_t pieces = (C + kChannels - 1) / kChannels;
  const int64_t cost = s.out_h * s.out_w * rows.count * cols.count * std::min(C, kChannels);
  parallel_for(s.batch * pieces, cost, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / pieces, c0 = (item % pieces) * kChannels;
      const int64_t c1 = std::min(C, c0 + kChannels);
      T* image = grad_x + n * s.in_h * s.in_w * C;
      for (int64_t pixel = 0; pixel < s.in_h * s.in_w; ++pixel) {
        std::fill(image + pixel * C + c0, image + pixel * C + c1, T(0));
      }
      for (int64_t oh = 0; oh < s.out_h; ++oh) {
        for (int64_t ow = 0; ow < s.out_w; ++ow) {
          const T* g = grad_out + ((n * s.out_h + oh) * s.out_w + ow) * C;
          for (int i = 0; i < rows.count; ++i) {
            T* source_row = image + rows.index[oh * rows.count + i] * s.in_w * C;
            const T wh = rows.weight[oh * rows.count + i];
            for (int j = 0; j < cols.count; ++j) {
              T* p = source_row + cols.index[ow * cols.count + j] * C;
              const T w = wh * cols.weight[ow * cols.count + j];
              for (int64_t c = c0; c < c1; ++c) p[c] += w * g[c];
            }
          }
        }
      }
    }
  });
}

template void interpolate<float>(const float*, float*, const InterpolateShape&);
template void interpolate<double>(const double*, double*, const InterpolateShape&);
template void interpolate_backward<float>(const float*, float*, const InterpolateShape&);
template void interpolate_backward<double>(const double*, double*, const InterpolateShape&);

}  // namespace fovea::kernels::cpu
