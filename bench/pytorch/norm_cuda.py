#!/usr/bin/env python3
"""PyTorch 2.x LayerNorm and BatchNorm on the GPU in bf16 at the shapes of
bench/cuda/norm_bench.cpp (same byte counts, so the GB/s columns compare). LayerNorm runs
over the last dim of an NHWC-shaped tensor (ConvNeXt's channel LayerNorm), BatchNorm on a
channels_last NCHW tensor (PyTorch's fastest layout for it), followed by ReLU."""
import torch
import torch.nn.functional as F

from cuda_timing import copy_gb_per_s, report, time_ms

LAYER_NORM = [
    ("convnext_t_s1_64x56x56x96", 64 * 56 * 56, 96),
    ("convnext_t_s2_64x28x28x192", 64 * 28 * 28, 192),
    ("convnext_t_s3_64x14x14x384", 64 * 14 * 14, 384),
    ("convnext_t_s4_64x7x7x768", 64 * 7 * 7, 768),
    ("swin_t_s1_64x3136x96", 64 * 3136, 96),
    ("swin_t_s4_64x49x768", 64 * 49, 768),
    ("vit_b_64x197x768", 64 * 197, 768),
]
BATCH_NORM = [
    ("resnet50_s1_64x56x56x256", 56, 256),
    ("resnet50_s2_64x28x28x512", 28, 512),
    ("resnet50_s3_64x14x14x1024", 14, 1024),
    ("resnet50_s4_64x7x7x2048", 7, 2048),
    ("effnet_b0_64x112x112x32", 112, 32),
]


def main():
    ceiling = copy_gb_per_s()
    print(f"device={torch.cuda.get_device_name()} copy_GB/s={ceiling:.1f}")
    for name, rows, cols in LAYER_NORM:
        x = torch.randn(rows, cols, device="cuda", dtype=torch.bfloat16, requires_grad=True)
        w = torch.randn(cols, device="cuda", dtype=torch.bfloat16, requires_grad=True)
        b = torch.randn(cols, device="cuda", dtype=torch.bfloat16, requires_grad=True)
        gy = torch.randn_like(x)
        tensor = 2.0 * rows * cols
        with torch.no_grad():
            ms = time_ms(lambda: F.layer_norm(x, (cols,), w, b, 1e-6))
        report(f"layer_norm {name} fwd", ms, 2 * tensor, ceiling=ceiling)
        ms = time_ms(lambda: torch.autograd.grad(F.layer_norm(x, (cols,), w, b, 1e-6), (x, w, b), gy))
        report(f"layer_norm {name} fwd+bwd", ms, 7 * tensor, ceiling=ceiling)
    for name, size, channels in BATCH_NORM:
        x = torch.randn(64, channels, size, size, device="cuda", dtype=torch.bfloat16)
        x = x.to(memory_format=torch.channels_last).requires_grad_()
        bn = torch.nn.BatchNorm2d(channels).cuda().to(torch.bfloat16)
        gy = torch.randn_like(x)
        tensor = 2.0 * x.numel()
        with torch.no_grad():
            ms = time_ms(lambda: F.relu(bn(x)))
        report(f"batch_norm_relu {name} fwd", ms, 4 * tensor, ceiling=ceiling)
        ms = time_ms(lambda: torch.autograd.grad(F.relu(bn(x)), (x, bn.weight, bn.bias), gy))
        report(f"batch_norm_relu {name} fwd+bwd", ms, 9 * tensor, ceiling=ceiling)


if __name__ == "__main__":
    main()
