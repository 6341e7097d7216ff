// CPU reference for the depthwise 2-D convolution (kernels/conv.h): groups == Cin, so
// output channel o = c*multiplier + m reads input channel c alone.
//
// im2col + GEMM would run one GEMM with K = kh*kw per channel, all overhead. Instead each
// kernel loops over pixels and taps with the channels innermost: in NHWC the channels of a
// pixel are contiguous, so every tap is one vectorised multiply-add over a channel row.
// The weight is first turned tap-major ([kh*kw, Cout], a few KB) so that one tap's weights
// are contiguous too. Channels go in blocks of kBlock, accumulated in registers across
// all the taps before one store.
#include <algorithm>
#include <memory>
#include <vector>

#include "kernels/conv.h"
#include "kernels/cpu/parallel.h"

namespace fovea::kernels::cpu {

namespace {

constexpr int64_t kBlock = 64;

// w [Cout, taps] -> [taps, Cout].
template <typename T>
std::vector<T> taps_major(const Conv2dShape& s, const T* w) {
  const int64_t taps = s.kernel_h * s.kernel_w, cout = s.out_channels;
  std::vector<T> out(static_cast<size_t>(taps * cout));
  for (int64_t o = 0; o < cout; ++o) {
    for (int64_t t = 0; t < taps; ++t) out[t * cout + o] = w[o * taps + t];
  }
  return out;
}

// The input row ih = oh*stride - pad + k*dilation, or -1 outside the input.
inline int64_t input_index(int64_t out, int64_t k, int64_t stride, int64_t pad, int64_t dilation,
                           int64_t size) {
  const int64_t i = out * stride - pad + k * dilation;
  return i >= 0 && i < size ? i : -1;
}

// The output index whose tap k reads input index `in`, or -1 when there is none.
inline int64_t output_index(int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t dilation,
                            int64_t size) {
  const int64_t t = in + pad - k * dilation;
  if (t < 0 || t % stride != 0) return -1;
  return t / stride < size ? t / stride : -1;
}

}  // namespace

template <typename T>
void depthwise_conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y) {
  const int64_t taps = s.kernel_h * s.kernel_w, cin = s.in_channels, cout = s.out_channels;
  const int64_t mult = cout / cin;
  const std::vector<T> wt = taps_major(s, w);
  parallel_for(s.batch * s.out_h, s.out_w * taps * cout, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / s.out_h, oh = row % s.out_h;
      const T* image = x + n * s.in_h * s.in_w * cin;
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        T* out = y + (row * s.out_w + ow) * cout;
        for (int64_t o0 = 0; o0 < cout; o0 += kBlock) {
          const int64_t len = std::min(kBlock, cout - o0);
          T acc[kBlock];
          for (int64_t j = 0; j < len; ++j) acc[j] = bias ? bias[o0 + j] : T(0);
          for (int64_t ki = 0; ki < s.kernel_h; ++ki) {
            const int64_t ih = input_index(oh, ki, s.stride_h, s.pad_h, s.dilation_h, s.in_h);
            if (ih < 0) continue;
            for (int64_t kj = 0; kj < s.kernel_w; ++kj) {
              const int64_t iw = input_index(ow, kj, s.stride_w, s.pad_w, s.dilation_w, s.in_w);
              if (iw < 0) continue;
              const T* src = image + (ih * s.in_w + iw) * cin;
              const T* wrow = wt.data() + (ki * s.kernel_w + kj) * cout + o0;
              if (mult == 1) {
                for (int64_t j = 0; j < len; ++j) acc[j] += src[o0 + j] * wrow[j];
              } else {
                for (int64_t j = 0; j < len; ++j) acc[j] += src[(o0 + j) / mult] * wrow[j];
              }
            }
          }
          std::copy(acc, acc + len, out + o0);
        }
      }
    }
  });
}

template <typename T>
void depthwise_conv2d_backward_data(const Conv2dShape& s, const T* grad_y, const T* w, T* grad_x) {
  const int64_t taps = s.kernel_h * s.kernel_w, cin = s.in_channels, cout = s.out_channels;
  const int64_t mult = cout / cin;
  const std::vector<T> wt = taps_major(s, w);
  // A gather: each input pixel sums what its taps' output pixels send back, so every
  // gradient element is written once and input rows split across threads freely.
  parallel_for(s.batch * s.in_h, s.in_w * taps * cout, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / s.in_h, ih = row % s.in_h;
      const T* grad_image = grad_y + n * s.out_h * s.out_w * cout;
      for (int64_t iw = 0; iw < s.in_w; ++iw) {
        T* out = grad_x + (row * s.in_w + iw) * cin;
        for (int64_t c0 = 0; c0 < cin; c0 += kBlock) {
          const int64_t len = std::min(kBlock, cin - c0);
          T acc[kBlock] = {};
          for (int64_t ki = 0; ki < s.kernel_h; ++ki) {
            const int64_t oh = output_index(ih, ki, s.stride_h, s.pad_h, s.dilation_h, s.out_h);
            if (oh < 0) continue;
            for (int64_t kj = 0; kj < s.kernel_w; ++kj) {
              const int64_t ow = output_index(iw, kj, s.stride_w, s.pad_w, s.dilation_w, s.out_w);
              if (ow < 0) continue;
              const T* g = grad_image + (oh * s.out_w + ow) * cout + c0 * mult;
              const T* wrow = wt.data() + (ki * s.kernel_w + kj) * cout + c0 * mult;
              if (mult == 1) {
                for (int64_t j = 0; j < len; ++j) acc[j] += g[j] * wrow[j];
              } else {
                for (int64_t j = 0; j < len; ++j) {
                  for (int64_t m = 0; m < mult; ++m) acc[j] += g[j * mult + m] * wrow[j * mult + m];
                }
              }
            }
          }
          std::copy(acc, acc + len, out + c0);
        }
      }
    }
  });
}

template <typename T>
void depthwise_conv2d_backward_weight(const Conv2dShape& s, const T* grad_y, const T* x,
                                      T* grad_w) {
  const int64_t taps = s.kernel_h * s.kernel_w, cin = s.in_channels, cout = s.out_channels;
  const int64_t mult = cout / cin, weight_size = taps * cout;
  const int64_t rows = s.batch * s.out_h;
  const int64_t parts = parallel_part_count(rows, s.out_w * taps * cout);
  // One tap-major partial per part. Each output row is first summed on its own, so a
  // weight's gradient is a sum of row sums rather than one running sum over N*Ho*Wo terms.
  std::vector<T> partials(static_cast<size_t>(parts * weight_size), T(0));
  parallel_parts(rows, parts, [&](int64_t part, int64_t begin, int64_t end) {
    T* acc = partials.data() + part * weight_size;
    std::vector<T> row_acc(static_cast<size_t>(weight_size));
    for (int64_t row = begin; row < end; ++row) {
      std::fill(row_acc.begin(), row_acc.end(), T(0));
      const int64_t n = row / s.out_h, oh = row % s.out_h;
      const T* image = x + n * s.in_h * s.in_w * cin;
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        const T* g = grad_y + (row * s.out_w + ow) * cout;
        for (int64_t ki = 0; ki < s.kernel_h; ++ki) {
          const int64_t ih = input_index(oh, ki, s.stride_h, s.pad_h, s.dilation_h, s.in_h);
          if (ih < 0) continue;
          for (int64_t kj = 0; kj < s.kernel_w; ++kj) {
            const int64_t iw = input_index(ow, kj, s.stride_w, s.pad_w, s.dilation_w, s.in_w);
            if (iw < 0) continue;
            const T* src = image + (ih * s.in_w + iw) * cin;
            T* tap_acc = row_acc.data() + (ki * s.kernel_w + kj) * cout;
            if (mult == 1) {
              for (int64_t o = 0; o < cout; ++o) tap_acc[o] += g[o] * src[o];
            } else {
              for (int64_t o = 0; o < cout; ++o) tap_acc[o] += g[o] * src[o / mult];
            }
          }
        }
      }
      for (int64_t i = 0; i < weight_size; ++i) acc[i] += row_acc[i];
    }
  });
  for (int64_t o = 0; o < cout; ++o) {
    for (int64_t t = 0; t < taps; ++t) {
      T total = T(0);
      for (int64_t p = 0; p < parts; ++p) total += partials[p * weight_size + t * cout + o];
      grad_w[o * taps + t] = total;
    }
  }
}

template void depthwise_conv2d_forward<float>(const Conv2dShape&, const float*, const float*,
                                              const float*, float*);
template void depthwise_conv2d_forward<double>(const Conv2dShape&, const double*, const double*,
                                               const double*, double*);
template void depthwise_conv2d_backward_data<float>(const Conv2dShape&, const float*, const float*,
                                                    float*);
template void depthwise_conv2d_backward_data<double>(const Conv2dShape&, const double*,
                                                     const double*, double*);
template void depthwise_conv2d_backward_weight<float>(const Conv2dShape&, const float*,
                                                      const float*, float*);
template void depthwise_conv2d_backward_weight<double>(const Conv2dShape&, const double*,
                                                       const double*, double*);

}  // namespace fovea::kernels::cpu
