#pragma once
// 2-D convolution in NHWC. x is [N, H, W, Cin], the weight [Cout, kh, kw, Cin/groups] and
// y [N, Ho, Wo, Cout], all contiguous. Output channel o of group g = o / (Cout/groups)
// reads input channels [g*Cin/groups, (g+1)*Cin/groups).
//
// The dense kernels are im2col + GEMM: in NHWC one patch, read as [kh, kw, Cin/groups],
// has exactly the layout of one weight row, so the forward is col [M, K] x W^T [K, Cout]
// with M = N*Ho*Wo and K = kh*kw*Cin/groups. The depthwise kernels (groups == Cin) are
// direct loops vectorised over channels.
#include <cstdint>

namespace fovea::kernels {

struct Conv2dShape {
  int64_t batch = 0;
  int64_t in_h = 0, in_w = 0, in_channels = 0;
  int64_t out_h = 0, out_w = 0, out_channels = 0;
  int64_t kernel_h = 0, kernel_w = 0;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;

  int64_t group_in() const { return in_channels / groups; }
  int64_t group_out() const { return out_channels / groups; }
  // Depthwise: every input channel is its own group (Cout is a multiple of Cin).
  bool depthwise() const { return groups == in_channels && groups > 1; }
};

// PyTorch's output size along one dim: floor((in + 2 pad - dilation (k - 1) - 1) / stride) + 1.
// Zero or less means the (dilated) kernel does not fit in the padded input.
int64_t conv_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation);

namespace cpu {

// The dense path: im2col + GEMM, for any groups. T: float, double.
// y = conv(x, w) + bias (bias may be null).
template <typename T>
void conv2d_forward(const Conv2dShape& shape, const T* x, const T* w, const T* bias, T* y);

// grad_x = the gradient of conv(x, w) with respect to x, given grad_y (overwritten).
template <typename T>
void conv2d_backward_data(const Conv2dShape& shape, const T* grad_y, const T* w, T* grad_x);

// grad_w = the gradient with respect to w, given grad_y and x (overwritten).
template <typename T>
void conv2d_backward_weight(const Conv2dShape& shape, const T* grad_y, const T* x, T* grad_w);

// The depthwise path, for shape.depthwise() only (groups == Cin, Cout = multiplier * Cin,
// weight [Cout, kh, kw, 1]): direct loops over channels, far faster than one tiny GEMM per
// channel. Same contracts as the dense kernels above.
template <typename T>
void depthwise_conv2d_forward(const Conv2dShape& shape, const T* x, const T* w, const T* bias,
                              T* y);
template <typename T>
void depthwise_conv2d_backward_data(const Conv2dShape& shape, const T* grad_y, const T* w,
                                    T* grad_x);
template <typename T>
void depthwise_conv2d_backward_weight(const Conv2dShape& shape, const T* grad_y, const T* x,
                                      T* grad_w);

}  // namespace cpu
}  // namespace fovea::kernels
