// The shifted-rows GEMM path of the dense convolution (kernels/cpu/conv2d_internal.h):
// stride 1, no dilation, one group.
//
// Each image is padded once into P, in rows of Wp = W + pw pixels: the W real pixels, then
// pw zero pixels that are this row's right padding and the next row's left padding at
// once; ph zero rows above and below, and pw zero pixels before the first row. Pixel
// (ih, iw) then sits at pw + (ih + ph) Wp + iw for every iw in [-pw, W + pw). Number the
// outputs q = oh Wp + ow with ow running up to Wp (the last Wp - Wo of each row are extra,
// computed and dropped): output q's tap (ki, kj) reads pixel q + ki Wp + kj. For each
// kernel row ki the [kw, Cin] patch blocks are therefore the rows of one strided matrix
// A_ki = P + ki Wp Cin with row stride Cin (overlapping rows, no copy), and
//   forward          out[q]     = sum over ki of A_ki[q] x W[:, ki]^T   W[:, ki]: [Cout, kw Cin]
//   backward-weight  dW[:, ki]  = sum over q of G[q]^T A_ki[q]
// where G is grad_y renumbered the same way (zeros in the extra columns). Unlike im2col,
// nothing kh*kw times the input's size is ever written; P is the input's size.
#include <cstring>

#include "kernels/cpu/conv2d_internal.h"
#include "kernels/gemm.h"

namespace fovea::kernels::cpu {

namespace {

// Output rows per GEMM piece: enough rows for the GEMM to run at full speed, few enough
// that a piece's output and its slice of P stay in cache.
constexpr int64_t kPieceRows = 2048;
constexpr int64_t kMaxPadded = int64_t{1} << 24;

struct Shifted {
  explicit Shifted(const Conv2dShape& s)
      : wp(s.in_w + s.pad_w),
        k(s.kernel_h * s.kernel_w * s.in_channels),
        tap_row(s.kernel_w * s.in_channels),
        padded_size((s.pad_w + (s.in_h + 2 * s.pad_h) * wp + s.kernel_w) * s.in_channels),
        piece_rows(std::clamp<int64_t>(kPieceRows / wp, 1, s.out_h)) {}
  int64_t wp;           // padded row length, in pixels
  int64_t k;            // kh * kw * Cin
  int64_t tap_row;      // kw * Cin: one kernel row of a patch
  int64_t padded_size;  // elements of P, with room for the extra columns' reads
  int64_t piece_rows;   // output rows (oh) per GEMM piece
};

// P as described above, from one NHWC image.
template <typename T>
void pad_image(const Conv2dShape& s, const Shifted& g, const T* image, T* padded) {
  const int64_t cin = s.in_channels;
  std::fill(padded, padded + s.pad_w * cin, T(0));
  for (int64_t r = 0; r < s.in_h + 2 * s.pad_h; ++r) {
    T* row = padded + (s.pad_w + r * g.wp) * cin;
    const int64_t ih = r - s.pad_h;
    if (ih < 0 || ih >= s.in_h) {
      std::fill(row, row + g.wp * cin, T(0));
      continue;
    }
    std::memcpy(row, image + ih * s.in_w * cin, sizeof(T) * static_cast<size_t>(s.in_w * cin));
    std::fill(row + s.in_w * cin, row + g.wp * cin, T(0));
  }
  T* tail = padded + (s.pad_w + (s.in_h + 2 * s.pad_h) * g.wp) * cin;
  std::fill(tail, tail + s.kernel_w * cin, T(0));
}

// Calls piece(oh0, oh1) over the output rows in pieces of g.piece_rows.
template <typename Piece>
void for_each_piece(const Conv2dShape& s, const Shifted& g, Piece&& piece) {
  for (int64_t oh0 = 0; oh0 < s.out_h; oh0 += g.piece_rows) {
    piece(oh0, std::min(s.out_h, oh0 + g.piece_rows));
  }
}

}  // namespace

bool shifted_conv_applies(const Conv2dShape& s) {
  const bool one_by_one = s.kernel_h == 1 && s.kernel_w == 1 && s.pad_h == 0 && s.pad_w == 0;
  if (s.stride_h != 1 || s.stride_w != 1 || s.dilation_h != 1 || s.dilation_w != 1 ||
      s.groups != 1 || one_by_one || s.pad_w > s.kernel_w - 1) {
    return false;
  }
  // The extra columns are wasted GEMM work: at most 1/16 of the row. In ResNets that
  // admits the 56x56 and 28x28 stages but not 14x14 and 7x7, where im2col is faster.
  const int64_t extra = s.in_w + s.pad_w - s.out_w;
  // P holds a whole padded image; past kMaxPadded elements (huge images) im2col's
  // bounded pieces are the better use of memory.
  return 16 * extra <= s.out_w && Shifted(s).padded_size <= kMaxPadded;
}

template <typename T>
void shifted_conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y) {
  const Shifted g(s);
  const int64_t cout = s.out_channels, image_size = s.in_h * s.in_w * s.in_channels;
  const int64_t parts = item_parts(s.batch, s.out_h * g.wp * cout * g.k);
  parallel_parts(s.batch, parts, [&](int64_t, int64_t begin, int64_t end) {
    std::unique_ptr<T[]> padded = uninitialised<T>(g.padded_size);
    std::unique_ptr<T[]> out = uninitialised<T>(g.piece_rows * g.wp * cout);
    for (int64_t n = begin; n < end; ++n) {
      pad_image(s, g, x + n * image_size, padded.get());
      for_each_piece(s, g, [&](int64_t oh0, int64_t oh1) {
        const int64_t q0 = oh0 * g.wp;
        const GemmShape shape{.trans_a = false,
                              .trans_b = true,
                              .m = (oh1 - oh0) * g.wp,
                              .n = cout,
                              .k = g.tap_row,
                              .lda = s.in_channels,
                              .ldb = g.k,
                              .ldc = cout};
        for (int64_t ki = 0; ki < s.kernel_h; ++ki) {
          gemm<T>(shape, T(1), padded.get() + (q0 + ki * g.wp) * s.in_channels, w + ki * g.tap_row,
                  ki == 0 ? T(0) : T(1), out.get());
        }
        for (int64_t oh = oh0; oh < oh1; ++oh) {
          T* dst = y + (n * s.out_h + oh) * s.out_w * cout;
          const T* src = out.get() + (oh - oh0) * g.wp * cout;
          if (!bias) {
            std::memcpy(dst, src, sizeof(T) * static_cast<size_t>(s.out_w * cout));
            continue;
          }
          for (int64_t ow = 0; ow < s.out_w; ++ow) {
            for (int64_t o = 0; o < cout; ++o) dst[ow * cout + o] = src[ow * cout + o] + bias[o];
          }
        }
      });
    }
  });
}

template <typename T>
void shifted_conv2d_backward_weight(const Conv2dShape& s, const T* grad_y, const T* x, T* grad_w) {
  const Shifted g(s);
  const int64_t cout = s.out_channels, image_size = s.in_h * s.in_w * s.in_channels;
  const auto accumulate = [&](T* acc, int64_t begin, int64_t end) {
    std::unique_ptr<T[]> padded = uninitialised<T>(g.padded_size);
    std::unique_ptr<T[]> grad = uninitialised<T>(g.piece_rows * g.wp * cout);
    for (int64_t n = begin; n < end; ++n) {
      pad_image(s, g, x + n * image_size, padded.get());
      for_each_piece(s, g, [&](int64_t oh0, int64_t oh1) {
        // grad_y's rows renumbered like the outputs, zeros in the extra columns.
        for (int64_t oh = oh0; oh < oh1; ++oh) {
          T* dst = grad.get() + (oh - oh0) * g.wp * cout;
          std::memcpy(dst, grad_y + (n * s.out_h + oh) * s.out_w * cout,
                      sizeof(T) * static_cast<size_t>(s.out_w * cout));
          std::fill(dst + s.out_w * cout, dst + g.wp * cout, T(0));
        }
        const int64_t q0 = oh0 * g.wp;
        const GemmShape shape{.trans_a = true,
                              .trans_b = false,
                              .m = cout,
                              .n = g.tap_row,
                              .k = (oh1 - oh0) * g.wp,
                              .lda = cout,
                              .ldb = s.in_channels,
                              .ldc = g.k};
        for (int64_t ki = 0; ki < s.kernel_h; ++ki) {
          gemm<T>(shape, T(1), grad.get(), padded.get() + (q0 + ki * g.wp) * s.in_channels, T(1),
                  acc + ki * g.tap_row);
        }
      });
    }
  };
  sum_over_parts(s.batch, cout * g.k, grad_w, accumulate);
}

template void shifted_conv2d_forward<float>(const Conv2dShape&, const float*, const float*,
                                            const float*, float*);
template void shifted_conv2d_forward<double>(const Conv2dShape&, const double*, const double*,
                                             const double*, double*);
template void shifted_conv2d_backward_weight<float>(const Conv2dShape&, const float*, const float*,
                                                    float*);
template void shifted_conv2d_backward_weight<double>(const Conv2dShape&, const double*,
                                                     const double*, double*);

}  // namespace fovea::kernels::cpu
