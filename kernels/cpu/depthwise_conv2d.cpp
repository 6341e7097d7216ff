// CPU reference for the depthwise 2-D convolution (kernels/conv.h): groups == Cin, so
// output channel o = c*multiplier + m reads input channel c alone.
//
// im2col + GEMM would run one GEMM with K = kh*kw per channel, all overhead. Instead the
// kernels loop over pixels with the channels innermost: in NHWC a pixel's channels are
// contiguous, and so are a tap's weights once the weight is made tap-major ([kh*kw, Cout],
// a few KB). Channels go in blocks of kBlock that accumulate over all of a pixel's taps
// before one store, so the output is written once instead of read and written per tap.
#include <algorithm>
#include <type_traits>
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

// Calls block(c0, len) over [0, channels) in blocks of kBlock; len is a compile-time
// constant for the full blocks, so their loops unroll into registers.
template <typename Block>
inline void for_each_block(int64_t channels, Block&& block) {
  int64_t c0 = 0;
  for (; c0 + kBlock <= channels; c0 += kBlock)
    block(c0, std::integral_constant<int64_t, kBlock>{});
  if (c0 < channels) block(c0, channels - c0);
}

// The outputs [begin, end) along one dim whose tap k reads an input inside [0, size):
// 0 <= out*stride - pad + k*dilation < size.
struct Span {
  int64_t begin, end;
};
inline Span valid_outputs(int64_t k, int64_t stride, int64_t pad, int64_t dilation, int64_t size,
                          int64_t out_size) {
  const int64_t shift = k * dilation - pad;  // input = out*stride + shift
  const int64_t begin = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
  const int64_t end = size - shift <= 0 ? 0 : (size - shift - 1) / stride + 1;
  return {begin, std::clamp<int64_t>(end, begin, out_size)};
}

// A pixel's taps that fall inside the image: where the other operand's pixel starts and
// where the tap's weights start.
struct TapList {
  std::vector<int64_t> pixel, weight;
  int64_t count = 0;
  explicit TapList(int64_t taps) : pixel(static_cast<size_t>(taps)), weight(pixel.size()) {}
  void add(int64_t pixel_offset, int64_t weight_offset) {
    pixel[count] = pixel_offset;
    weight[count] = weight_offset;
    ++count;
  }
};

}  // namespace

template <typename T>
void depthwise_conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y) {
  const int64_t taps = s.kernel_h * s.kernel_w, cin = s.in_channels, cout = s.out_channels;
  const int64_t mult = cout / cin;
  const std::vector<T> wt = taps_major(s, w);
  parallel_for(s.batch * s.out_h, s.out_w * taps * cout, [&](int64_t begin, int64_t end) {
    TapList list(taps);
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / s.out_h, oh = row % s.out_h;
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        list.count = 0;
        for (int64_t ki = 0; ki < s.kernel_h; ++ki) {
          const int64_t ih = oh * s.stride_h - s.pad_h + ki * s.dilation_h;
          if (ih < 0 || ih >= s.in_h) continue;
          for (int64_t kj = 0; kj < s.kernel_w; ++kj) {
            const int64_t iw = ow * s.stride_w - s.pad_w + kj * s.dilation_w;
            if (iw < 0 || iw >= s.in_w) continue;
            list.add(((n * s.in_h + ih) * s.in_w + iw) * cin, (ki * s.kernel_w + kj) * cout);
          }
        }
        T* out = y + (row * s.out_w + ow) * cout;
        for_each_block(cout, [&](int64_t o0, auto len) {
          T acc[kBlock];
          for (int64_t j = 0; j < len; ++j) acc[j] = bias ? bias[o0 + j] : T(0);
          for (int64_t t = 0; t < list.count; ++t) {
            const T* src = x + list.pixel[t];
            const T* wrow = wt.data() + list.weight[t] + o0;
            if (mult == 1) {
              for (int64_t j = 0; j < len; ++j) acc[j] += wrow[j] * src[o0 + j];
            } else {
              for (int64_t j = 0; j < len; ++j) acc[j] += wrow[j] * src[(o0 + j) / mult];
            }
          }
          for (int64_t j = 0; j < len; ++j) out[o0 + j] = acc[j];
        });
      }
    }
  });
}

template <typename T>
void depthwise_conv2d_backward_data(const Conv2dShape& s, const T* grad_y, const T* w, T* grad_x) {
  const int64_t taps = s.kernel_h * s.kernel_w, cin = s.in_channels, cout = s.out_channels;
  const int64_t mult = cout / cin;
  const std::vector<T> wt = taps_major(s, w);
  // A gather: input pixel (ih, iw) collects from every output pixel whose tap read it
  // (oh*stride - pad + ki*dilation == ih, likewise for iw), so each gradient element is
  // written once and input rows split across threads freely.
  parallel_for(s.batch * s.in_h, s.in_w * taps * cout, [&](int64_t begin, int64_t end) {
    TapList list(taps);
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / s.in_h, ih = row % s.in_h;
      for (int64_t iw = 0; iw < s.in_w; ++iw) {
        list.count = 0;
        for (int64_t ki = 0; ki < s.kernel_h; ++ki) {
          const int64_t th = ih + s.pad_h - ki * s.dilation_h;
          if (th < 0 || th % s.stride_h != 0 || th / s.stride_h >= s.out_h) continue;
          for (int64_t kj = 0; kj < s.kernel_w; ++kj) {
            const int64_t tw = iw + s.pad_w - kj * s.dilation_w;
            if (tw < 0 || tw % s.stride_w != 0 || tw / s.stride_w >= s.out_w) continue;
            list.add(((n * s.out_h + th / s.stride_h) * s.out_w + tw / s.stride_w) * cout,
                     (ki * s.kernel_w + kj) * cout);
          }
        }
        T* out = grad_x + (row * s.in_w + iw) * cin;
        for_each_block(cin, [&](int64_t c0, auto len) {
          T acc[kBlock] = {};
          for (int64_t t = 0; t < list.count; ++t) {
            const T* g = grad_y + list.pixel[t] + c0 * mult;
            const T* wrow = wt.data() + list.weight[t] + c0 * mult;
            if (mult == 1) {
              for (int64_t j = 0; j < len; ++j) acc[j] += g[j] * wrow[j];
            } else {
              for (int64_t j = 0; j < len; ++j) {
                for (int64_t m = 0; m < mult; ++m) acc[j] += g[j * mult + m] * wrow[j * mult + m];
              }
            }
          }
          for (int64_t j = 0; j < len; ++j) out[c0 + j] = acc[j];
        });
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
  // A part count fixed by the shape (rows, then at most kParts): the threads only share
  // the parts out, so the sums are the same on any number of threads.
  constexpr int64_t kParts = 16;
  const int64_t parts = std::clamp<int64_t>(rows, 1, kParts);
  // One tap-major partial per part. Each (output row, tap) is summed in registers along
  // the row first, so a weight's gradient is a sum of row sums rather than one running
  // sum over N*Ho*Wo terms.
  std::vector<T> partials(static_cast<size_t>(parts * weight_size), T(0));
  parallel_parts(rows, parts, [&](int64_t part, int64_t begin, int64_t end) {
    T* acc_part = partials.data() + part * weight_size;
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / s.out_h, oh = row % s.out_h;
      const T* grad_row = grad_y + row * s.out_w * cout;
      for (int64_t ki = 0; ki < s.kernel_h; ++ki) {
        const int64_t ih = oh * s.stride_h - s.pad_h + ki * s.dilation_h;
        if (ih < 0 || ih >= s.in_h) continue;
        const T* in_row = x + (n * s.in_h + ih) * s.in_w * cin;
        for (int64_t kj = 0; kj < s.kernel_w; ++kj) {
          const Span span = valid_outputs(kj, s.stride_w, s.pad_w, s.dilation_w, s.in_w, s.out_w);
          const T* first_in = in_row + (kj * s.dilation_w - s.pad_w) * cin;  // ow = 0
          T* tap_acc = acc_part + (ki * s.kernel_w + kj) * cout;
          for_each_block(cout, [&](int64_t o0, auto len) {
            T acc[kBlock] = {};
            for (int64_t ow = span.begin; ow < span.end; ++ow) {
              const T* g = grad_row + ow * cout + o0;
              const T* src = first_in + ow * s.stride_w * cin;
              if (mult == 1) {
                for (int64_t j = 0; j < len; ++j) acc[j] += g[j] * src[o0 + j];
              } else {
                for (int64_t j = 0; j < len; ++j) acc[j] += g[j] * src[(o0 + j) / mult];
              }
            }
            for (int64_t j = 0; j < len; ++j) tap_acc[o0 + j] += acc[j];
          });
        }
      }
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
