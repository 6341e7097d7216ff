#!/usr/bin/env python3
"""PyTorch 2.x on the GPU at the shapes of bench/cuda/window_partition_bench.cpp: timm's
shifted window partition (torch.roll by -shift over H and W, then view / permute /
contiguous into [B * nW, 49, C]) and its reverse (the inverse permute, then torch.roll by
+shift), at Swin-T's four stages, batch 64, window 7, shift 3, in f32 and bf16. Reports GB/s
of the activation read once and written once, and its percentage of a d2d copy."""
import torch

from cuda_timing import copy_gb_per_s, report, time_ms

STAGES = [(56, 96), (28, 192), (14, 384), (7, 768)]
WINDOW, SHIFT, BATCH = 7, 3, 64


def partition(x):
    b, h, w, c = x.shape
    rolled = torch.roll(x, shifts=(-SHIFT, -SHIFT), dims=(1, 2))
    windows = rolled.view(b, h // WINDOW, WINDOW, w // WINDOW, WINDOW, c)
    return windows.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, WINDOW * WINDOW, c)


def reverse(windows, h, w):
    c = windows.shape[-1]
    grid = windows.view(-1, h // WINDOW, w // WINDOW, WINDOW, WINDOW, c)
    grid = grid.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, h, w, c)
    return torch.roll(grid, shifts=(SHIFT, SHIFT), dims=(1, 2))


def main():
    print(f"device={torch.cuda.get_device_name()}")
    ceiling = copy_gb_per_s()
    print(f"copy GB/s={ceiling:.1f}")
    for dtype in (torch.float32, torch.bfloat16):
        for stage, (size, channels) in enumerate(STAGES):
            x = torch.randn(BATCH, size, size, channels, device="cuda", dtype=dtype)
            moved = 2.0 * x.numel() * x.element_size()
            name = f"stage{stage} {str(dtype).replace('torch.', '')}"
            with torch.no_grad():
                report(f"window_partition {name}", time_ms(lambda: partition(x)), moved,
                       ceiling=ceiling)
                windows = partition(x)
                report(f"window_reverse {name}", time_ms(lambda: reverse(windows, size, size)),
                       moved, ceiling=ceiling)
                y = torch.empty_like(x)
                report(f"d2d copy {name}", time_ms(lambda: y.copy_(x)), moved, ceiling=ceiling)


if __name__ == "__main__":
    main()
