#!/usr/bin/env python3
"""PyTorch 2.x softmax (bf16 attention-score rows) and F.cross_entropy (f32 classifier
logits, label smoothing 0.1) on the GPU at the shapes of bench/cuda/softmax_bench.cpp,
with the same byte counts."""
import torch
import torch.nn.functional as F

from cuda_timing import copy_gb_per_s, report, time_ms

SOFTMAX = [
    ("vit_b_scores_64x12x197x197", 64 * 12 * 197, 197),
    ("swin_t_s1_scores_4096x3x49x49", 4096 * 3 * 49, 49),
    ("imagenet_head_256x1000", 256, 1000),
]
LOSS = [
    ("imagenet1k_head_256x1000", 256, 1000),
    ("imagenet100_head_256x100", 256, 100),
    ("imagenet1k_head_1024x1000", 1024, 1000),
]


def main():
    ceiling = copy_gb_per_s()
    print(f"device={torch.cuda.get_device_name()} copy_GB/s={ceiling:.1f}")
    for name, rows, cols in SOFTMAX:
        x = torch.randn(rows, cols, device="cuda", dtype=torch.bfloat16, requires_grad=True)
        gy = torch.randn_like(x)
        tensor = 2.0 * rows * cols
        with torch.no_grad():
            ms = time_ms(lambda: torch.softmax(x, -1))
        report(f"softmax {name} fwd", ms, 2 * tensor, ceiling=ceiling)
        ms = time_ms(lambda: torch.autograd.grad(torch.softmax(x, -1), x, gy))
        report(f"softmax {name} fwd+bwd", ms, 5 * tensor, ceiling=ceiling)
    for name, rows, classes in LOSS:
        logits = torch.randn(rows, classes, device="cuda", requires_grad=True)
        target = (torch.arange(rows, device="cuda") * 37) % classes
        ms = time_ms(lambda: torch.autograd.grad(
            F.cross_entropy(logits, target, label_smoothing=0.1), logits))
        report(f"cross_entropy {name} fwd+bwd", ms, 3.0 * 4 * rows * classes, ceiling=ceiling)


if __name__ == "__main__":
    main()
