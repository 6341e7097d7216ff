"""References for conv2d and pooling (f32), in fovea's layouts: images NHWC, conv weights
[out, kh, kw, in/groups]. Each case permutes to PyTorch's NCHW/OIHW inside the recorded
function, so the stored gradients are already NHWC/OHWI."""
import torch
import torch.nn.functional as F

from common import Cases, nchw, nhwc


def conv(stride=1, padding=0, dilation=1, groups=1):
    def run(x, weight, bias=None):
        # nchw() is the same permutation that turns OHWI weights back into OIHW.
        return nhwc(F.conv2d(nchw(x), nchw(weight), bias, stride, padding, dilation, groups))
    return run


def image(n, h, w, c):
    return nhwc(torch.randn(n, c, h, w))


def weight(out, kh, kw, group_in):
    return nhwc(torch.randn(out, group_in, kh, kw) / (kh * kw * group_in) ** 0.5)


def build():
    c = Cases(seed=0)
    # ResNet stem, odd input size.
    c.record("stem_7x7_s2", conv(2, 3), x=image(2, 23, 21, 3), weight=weight(8, 7, 7, 3))
    c.record("conv_3x3", conv(1, 1), x=image(2, 9, 9, 16), weight=weight(16, 3, 3, 16),
             bias=torch.randn(16))
    # Wide rows take the shifted-rows path.
    c.record("conv_3x3_wide", conv(1, 1), x=image(2, 5, 20, 8), weight=weight(8, 3, 3, 8),
             bias=torch.randn(8))
    c.record("conv_3x3_s2_batch1", conv(2, 1), x=image(1, 13, 13, 8), weight=weight(12, 3, 3, 8))
    c.record("conv_3x3_dilation2", conv(1, 2, 2), x=image(2, 9, 9, 4), weight=weight(6, 3, 3, 4))
    c.record("conv_1x1", conv(), x=image(2, 5, 7, 8), weight=weight(12, 1, 1, 8),
             bias=torch.randn(12))
    c.record("downsample_1x1_s2", conv(2), x=image(2, 9, 9, 16), weight=weight(24, 1, 1, 16))
    c.record("grouped_3x3_g4", conv(1, 1, 1, 4), x=image(2, 8, 8, 16), weight=weight(32, 3, 3, 4))
    # A 64x64x32 image gives an im2col matrix larger than one piece: the kernel's chunking
    # inside an image is exercised.
    c.record("conv_3x3_chunked", conv(1, 1), x=image(1, 64, 64, 32), weight=weight(8, 3, 3, 32))
    for k in (3, 5, 7):
        for stride in (1, 2):
            c.record(f"depthwise_{k}x{k}_s{stride}", conv(stride, k // 2, 1, 8),
                     x=image(2, 11, 11, 8), weight=weight(8, k, k, 1), bias=torch.randn(8))
    c.record("depthwise_3x3_multiplier2", conv(1, 1, 1, 4), x=image(1, 7, 9, 4),
             weight=weight(8, 3, 3, 1))

    x = image(2, 11, 11, 8)
    c.record("max_pool_3x3_s2_p1", lambda x: nhwc(F.max_pool2d(nchw(x), 3, 2, 1)), x=x)
    c.record("max_pool_2x2_ceil", lambda x: nhwc(F.max_pool2d(nchw(x), 2, 2, 0, ceil_mode=True)),
             x=image(2, 7, 7, 8))
    y = image(2, 10, 9, 8)
    c.record("avg_pool_ceil_exclude_pad",
             lambda x: nhwc(F.avg_pool2d(nchw(x), 3, 2, 1, ceil_mode=True, count_include_pad=False)),
             x=y)
    c.record("avg_pool_ceil_include_pad",
             lambda x: nhwc(F.avg_pool2d(nchw(x), 3, 2, 1, ceil_mode=True, count_include_pad=True)),
             x=y)
    c.record("avg_pool_2x2", lambda x: nhwc(F.avg_pool2d(nchw(x), 2)), x=image(2, 8, 8, 8))
    c.record("adaptive_1x1", lambda x: nhwc(F.adaptive_avg_pool2d(nchw(x), 1)), x=image(2, 7, 7, 8))
    c.record("adaptive_7x7", lambda x: nhwc(F.adaptive_avg_pool2d(nchw(x), 7)),
             x=image(2, 10, 10, 8))
    c.record("adaptive_3x5", lambda x: nhwc(F.adaptive_avg_pool2d(nchw(x), (3, 5))),
             x=image(1, 8, 11, 4))
    return c.tensors
