// CPU reference for the dense 2-D convolution (kernels/conv.h): GEMMs in NHWC.
//
// Which path runs:
//   stride 1, one group, large images   shifted rows (conv2d_shifted.cpp): no im2col
//   1x1, stride 1, no padding           x already is the [M, Cin] patch matrix
//   anything else                       im2col + GEMM, below
// and backward-data, for stride 1, is the forward convolution of grad_y with the weight
// rotated by 180 degrees and in/out channels swapped, so it takes the forward's paths and
// needs no col2im; other strides use col2im.
//
// im2col layout. One row of the patch matrix holds the patch of one output pixel as
// [groups][kh][kw][Cg] (Cg = Cin/groups). Group g's block [kh, kw, Cg] has the layout of a
// row of W_g = w[g*Cog : (g+1)*Cog], so with K = kh*kw*Cg and M output pixels, per group:
//   forward          y[:, g]    = col[:, g] x W_g^T   [M, K] x [K, Cog]
//   backward-data    dcol[:, g] = dy[:, g] x W_g      [M, Cog] x [Cog, K], then col2im
//   backward-weight  dW_g       = dy[:, g]^T x col[:, g]   [Cog, M] x [M, K]
// Groups are strided views of the same buffers: nothing is copied per group.
//
// Work. Whole images are grouped into work items; the items are shared among the threads,
// each running single-threaded GEMMs on its own col buffer, which stays in its core's
// cache between im2col and GEMM. Inside an item the rows go in pieces whose col buffer
// holds at most kColBudget elements. An image never spans two items, so col2im's
// scatter-add needs no locks. With fewer items than threads (batch 1), the items run one
// after another and each parallelises inside: the GEMM shares its blocks among the threads,
// im2col splits rows and col2im splits channels. Backward-weight adds the items' sums in
// a fixed number of partials (sum_over_parts), so the result does not depend on the
// thread count.
#include <algorithm>
#include <cstring>

#include "kernels/cpu/conv2d_internal.h"
#include "kernels/gemm.h"

namespace fovea::kernels {

int64_t conv_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad,
                         int64_t dilation) {
  const int64_t span = in + 2 * pad - dilation * (kernel - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

namespace cpu {

namespace {

// Elements in one piece's col buffer: 4 MB in f32, about what one core's L2 holds, so the
// GEMM reads back what im2col just wrote from cache.
constexpr int64_t kColBudget = int64_t{1} << 20;
// Images are grouped into at least this many work items (batch allowing), enough to share
// among the threads of a small machine.
constexpr int64_t kTargetItems = 8;

struct Geometry {
  explicit Geometry(const Conv2dShape& s)
      : cg(s.group_in()),
        cog(s.group_out()),
        taps(s.kernel_h * s.kernel_w),
        k(taps * cg),
        width(s.groups * k),
        rows_per_image(s.out_h * s.out_w),
        direct(s.kernel_h == 1 && s.kernel_w == 1 && s.stride_h == 1 && s.stride_w == 1 &&
               s.pad_h == 0 && s.pad_w == 0) {}
  int64_t cg, cog, taps, k, width, rows_per_image;
  bool direct;  // 1x1, stride 1, no padding: x is the col matrix
};

struct WorkPlan {
  int64_t images_per_item = 1, items = 0, piece_budget = 1, parts = 1;
};

WorkPlan plan_work(const Conv2dShape& s, const Geometry& g) {
  WorkPlan plan;
  plan.piece_budget = std::max<int64_t>(1, kColBudget / g.width);
  // Fixed by the shape, not by the thread count: backward-weight sums each piece's rows
  // in one GEMM, so the pieces set the order of its additions.
  const int64_t fair_share = (s.batch + kTargetItems - 1) / kTargetItems;
  plan.images_per_item =
      std::clamp<int64_t>(plan.piece_budget / std::max<int64_t>(g.rows_per_image, 1), 1,
                          std::max<int64_t>(fair_share, 1));
  plan.items = (s.batch + plan.images_per_item - 1) / plan.images_per_item;
  const int64_t flops_per_item = plan.images_per_item * g.rows_per_image * g.width * g.cog;
  plan.parts = item_parts(plan.items, flops_per_item);
  return plan;
}

// Calls piece(r0, r1) over the output rows of item `item`, in pieces of at most
// plan.piece_budget rows.
template <typename Piece>
void for_each_piece(const Conv2dShape& s, const Geometry& g, const WorkPlan& plan, int64_t item,
                    Piece&& piece) {
  const int64_t first = item * plan.images_per_item;
  const int64_t last = std::min(s.batch, first + plan.images_per_item);
  const int64_t r0 = first * g.rows_per_image, rows = (last - first) * g.rows_per_image;
  const int64_t pieces = (rows + plan.piece_budget - 1) / plan.piece_budget;
  for (int64_t p = 0; p < pieces; ++p) piece(r0 + rows * p / pieces, r0 + rows * (p + 1) / pieces);
}

// col[i] = the patch of output row r0 + i, laid out [groups][kh][kw][Cg], zeros where the
// patch hangs over the padding.
template <typename T>
void im2col(const Conv2dShape& s, const Geometry& g, const T* x, int64_t r0, int64_t r1, T* col) {
  const int64_t cin = s.in_channels;
  // With one group and no dilation, the taps of one kernel row are consecutive pixels of
  // one input row: a single copy.
  const bool row_copies = s.groups == 1 && s.dilation_w == 1;
  parallel_for(r1 - r0, g.width, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t r = r0 + i;
      const int64_t n = r / g.rows_per_image, oh = (r / s.out_w) % s.out_h, ow = r % s.out_w;
      const T* image = x + n * s.in_h * s.in_w * cin;
      T* dst = col + i * g.width;
      const int64_t iw0 = ow * s.stride_w - s.pad_w;
      for (int64_t ki = 0; ki < s.kernel_h; ++ki) {
        const int64_t ih = oh * s.stride_h - s.pad_h + ki * s.dilation_h;
        const bool row_inside = ih >= 0 && ih < s.in_h;
        if (row_copies) {
          T* out = dst + ki * s.kernel_w * cin;
          if (!row_inside) {
            std::fill(out, out + s.kernel_w * cin, T(0));
            continue;
          }
          const int64_t kj0 = std::clamp<int64_t>(-iw0, 0, s.kernel_w);
          const int64_t kj1 = std::clamp<int64_t>(s.in_w - iw0, kj0, s.kernel_w);
          std::fill(out, out + kj0 * cin, T(0));
          std::memcpy(out + kj0 * cin, image + (ih * s.in_w + iw0 + kj0) * cin,
                      sizeof(T) * static_cast<size_t>((kj1 - kj0) * cin));
          std::fill(out + kj1 * cin, out + s.kernel_w * cin, T(0));
          continue;
        }
        for (int64_t kj = 0; kj < s.kernel_w; ++kj) {
          const int64_t iw = iw0 + kj * s.dilation_w;
          const int64_t tap = ki * s.kernel_w + kj;
          const bool inside = row_inside && iw >= 0 && iw < s.in_w;
          const T* src = image + (ih * s.in_w + iw) * cin;
          for (int64_t grp = 0; grp < s.groups; ++grp) {
            T* out = dst + grp * g.k + tap * g.cg;
            if (inside) {
              std::memcpy(out, src + grp * g.cg, sizeof(T) * static_cast<size_t>(g.cg));
            } else {
              std::fill(out, out + g.cg, T(0));
            }
          }
        }
      }
    }
  });
}

// The adjoint of im2col: grad_x[pixel] += every patch entry that read it. Rows of one
// image may share pixels, so the work splits over channels instead.
template <typename T>
void col2im_add(const Conv2dShape& s, const Geometry& g, const T* col, int64_t r0, int64_t r1,
                T* grad_x) {
  const int64_t cin = s.in_channels;
  parallel_for(cin, (r1 - r0) * g.taps, [&](int64_t c0, int64_t c1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t n = r / g.rows_per_image, oh = (r / s.out_w) % s.out_h, ow = r % s.out_w;
      T* image = grad_x + n * s.in_h * s.in_w * cin;
      const T* src = col + (r - r0) * g.width;
      for (int64_t ki = 0; ki < s.kernel_h; ++ki) {
        const int64_t ih = oh * s.stride_h - s.pad_h + ki * s.dilation_h;
        if (ih < 0 || ih >= s.in_h) continue;
        for (int64_t kj = 0; kj < s.kernel_w; ++kj) {
          const int64_t iw = ow * s.stride_w - s.pad_w + kj * s.dilation_w;
          if (iw < 0 || iw >= s.in_w) continue;
          const int64_t tap = ki * s.kernel_w + kj;
          T* dst = image + (ih * s.in_w + iw) * cin;
          for (int64_t grp = c0 / g.cg; grp * g.cg < c1; ++grp) {
            // Indexed by absolute channel: entry c of this tap sits at c - grp*Cg.
            const T* tap_src = src + grp * g.k + tap * g.cg - grp * g.cg;
            const int64_t lo = std::max(c0, grp * g.cg), hi = std::min(c1, (grp + 1) * g.cg);
            for (int64_t c = lo; c < hi; ++c) dst[c] += tap_src[c];
          }
        }
      }
    }
  });
}

template <typename T>
void im2col_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y) {
  const Geometry g(s);
  const WorkPlan plan = plan_work(s, g);
  parallel_parts(plan.items, plan.parts, [&](int64_t, int64_t begin, int64_t end) {
    std::unique_ptr<T[]> col = g.direct ? nullptr : uninitialised<T>(plan.piece_budget * g.width);
    for (int64_t item = begin; item < end; ++item) {
      for_each_piece(s, g, plan, item, [&](int64_t r0, int64_t r1) {
        const T* patches = x + r0 * s.in_channels;
        if (!g.direct) {
          im2col(s, g, x, r0, r1, col.get());
          patches = col.get();
        }
        T* out = y + r0 * s.out_channels;
        if (bias) {
          for (int64_t r = 0; r < r1 - r0; ++r) {
            std::memcpy(out + r * s.out_channels, bias,
                        sizeof(T) * static_cast<size_t>(s.out_channels));
          }
        }
        const GemmShape gemm_shape{.trans_a = false,
                                   .trans_b = true,
                                   .m = r1 - r0,
                                   .n = g.cog,
                                   .k = g.k,
                                   .lda = g.width,
                                   .ldb = g.k,
                                   .ldc = s.out_channels};
        for (int64_t grp = 0; grp < s.groups; ++grp) {
          gemm<T>(gemm_shape, T(1), patches + grp * g.k, w + grp * g.cog * g.k, bias ? T(1) : T(0),
                  out + grp * g.cog);
        }
      });
    }
  });
}

template <typename T>
void col2im_backward_data(const Conv2dShape& s, const T* grad_y, const T* w, T* grad_x) {
  const Geometry g(s);
  const WorkPlan plan = plan_work(s, g);
  const int64_t image_size = s.in_h * s.in_w * s.in_channels;
  parallel_parts(plan.items, plan.parts, [&](int64_t, int64_t begin, int64_t end) {
    std::unique_ptr<T[]> col = g.direct ? nullptr : uninitialised<T>(plan.piece_budget * g.width);
    for (int64_t item = begin; item < end; ++item) {
      if (!g.direct) {
        const int64_t first = item * plan.images_per_item;
        const int64_t last = std::min(s.batch, first + plan.images_per_item);
        std::fill(grad_x + first * image_size, grad_x + last * image_size, T(0));
      }
      for_each_piece(s, g, plan, item, [&](int64_t r0, int64_t r1) {
        // The direct case writes the gradient rows themselves; otherwise patch gradients.
        T* out = g.direct ? grad_x + r0 * s.in_channels : col.get();
        const GemmShape gemm_shape{.trans_a = false,
                                   .trans_b = false,
                                   .m = r1 - r0,
                                   .n = g.k,
                                   .k = g.cog,
                                   .lda = s.out_channels,
                                   .ldb = g.k,
                                   .ldc = g.width};
        for (int64_t grp = 0; grp < s.groups; ++grp) {
          gemm<T>(gemm_shape, T(1), grad_y + r0 * s.out_channels + grp * g.cog,
                  w + grp * g.cog * g.k, T(0), out + grp * g.k);
        }
        if (!g.direct) col2im_add(s, g, col.get(), r0, r1, grad_x);
      });
    }
  });
}

template <typename T>
void im2col_backward_weight(const Conv2dShape& s, const T* grad_y, const T* x, T* grad_w) {
  const Geometry g(s);
  const WorkPlan plan = plan_work(s, g);
  const auto accumulate = [&](T* acc, int64_t begin, int64_t end) {
    std::unique_ptr<T[]> col = g.direct ? nullptr : uninitialised<T>(plan.piece_budget * g.width);
    for (int64_t item = begin; item < end; ++item) {
      for_each_piece(s, g, plan, item, [&](int64_t r0, int64_t r1) {
        const T* patches = x + r0 * s.in_channels;
        if (!g.direct) {
          im2col(s, g, x, r0, r1, col.get());
          patches = col.get();
        }
        const GemmShape gemm_shape{.trans_a = true,
                                   .trans_b = false,
                                   .m = g.cog,
                                   .n = g.k,
                                   .k = r1 - r0,
                                   .lda = s.out_channels,
                                   .ldb = g.width,
                                   .ldc = g.k};
        for (int64_t grp = 0; grp < s.groups; ++grp) {
          gemm<T>(gemm_shape, T(1), grad_y + r0 * s.out_channels + grp * g.cog, patches + grp * g.k,
                  T(1), acc + grp * g.cog * g.k);
        }
      });
    }
  };
  sum_over_parts(plan.items, s.out_channels * g.k, grad_w, accumulate);
}

// Stride 1: grad_x is the forward convolution of grad_y (padding (k-1)*dilation - pad)
// with the weight rotated by 180 degrees and its in/out channels swapped within each group.
bool transposes_to_forward(const Conv2dShape& s) {
  return s.stride_h == 1 && s.stride_w == 1 && s.pad_h <= (s.kernel_h - 1) * s.dilation_h &&
         s.pad_w <= (s.kernel_w - 1) * s.dilation_w;
}

template <typename T>
void transposed_backward_data(const Conv2dShape& s, const T* grad_y, const T* w, T* grad_x) {
  const Geometry g(s);
  Conv2dShape t = s;
  t.in_h = s.out_h;
  t.in_w = s.out_w;
  t.in_channels = s.out_channels;
  t.out_h = s.in_h;
  t.out_w = s.in_w;
  t.out_channels = s.in_channels;
  t.pad_h = (s.kernel_h - 1) * s.dilation_h - s.pad_h;
  t.pad_w = (s.kernel_w - 1) * s.dilation_w - s.pad_w;
  // rotated [Cin, kh, kw, Cog]: rotated[g*Cg + c, kh-1-i, kw-1-j, o] = w[g*Cog + o, i, j, c].
  // Per group and tap that is a [Cog, Cg] -> [Cg, Cog] transpose, done in cache-sized tiles
  // (the weight can be several MB).
  std::unique_ptr<T[]> rotated = uninitialised<T>(s.in_channels * g.taps * g.cog);
  constexpr int64_t kTile = 32;
  parallel_for(s.groups * g.taps, g.cog * g.cg, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t grp = item / g.taps, tap = item % g.taps;
      const T* src = w + (grp * g.cog * g.taps + tap) * g.cg;  // row o: src + o*taps*Cg
      T* dst = rotated.get() + (grp * g.cg * g.taps + g.taps - 1 - tap) * g.cog;  // row c
      for (int64_t o0 = 0; o0 < g.cog; o0 += kTile) {
        for (int64_t c0 = 0; c0 < g.cg; c0 += kTile) {
          for (int64_t c = c0; c < std::min(g.cg, c0 + kTile); ++c) {
            for (int64_t o = o0; o < std::min(g.cog, o0 + kTile); ++o) {
              dst[c * g.taps * g.cog + o] = src[o * g.taps * g.cg + c];
            }
          }
        }
      }
    }
  });
  conv2d_forward(t, grad_y, rotated.get(), static_cast<const T*>(nullptr), grad_x);
}

}  // namespace

template <typename T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y) {
  if (shifted_conv_applies(s)) {
    shifted_conv2d_forward(s, x, w, bias, y);
  } else {
    im2col_forward(s, x, w, bias, y);
  }
}

template <typename T>
void conv2d_backward_data(const Conv2dShape& s, const T* grad_y, const T* w, T* grad_x) {
  if (!Geometry(s).direct && transposes_to_forward(s)) {
    transposed_backward_data(s, grad_y, w, grad_x);
  } else {
    col2im_backward_data(s, grad_y, w, grad_x);
  }
}

template <typename T>
void conv2d_backward_weight(const Conv2dShape& s, const T* grad_y, const T* x, T* grad_w) {
  if (shifted_conv_applies(s)) {
    shifted_conv2d_backward_weight(s, grad_y, x, grad_w);
  } else {
    im2col_backward_weight(s, grad_y, x, grad_w);
  }
}

template void conv2d_forward<float>(const Conv2dShape&, const float*, const float*, const float*,
                                    float*);
template void conv2d_forward<double>(const Conv2dShape&, const double*, const double*,
                                     const double*, double*);
template void conv2d_backward_data<float>(const Conv2dShape&, const float*, const float*, float*);
template void conv2d_backward_data<double>(const Conv2dShape&, const double*, const double*,
                                           double*);
template void conv2d_backward_weight<float>(const Conv2dShape&, const float*, const float*, float*);
template void conv2d_backward_weight<double>(const Conv2dShape&, const double*, const double*,
                                             double*);

}  // namespace cpu
}  // namespace fovea::kernels
