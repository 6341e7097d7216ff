#!/usr/bin/env python3
"""PyTorch 2.x squeeze-and-excitation halves on the GPU in bf16 at the shapes of
bench/cuda/se_bench.cpp: the squeeze x.mean((2, 3)) and the excite x * s[:, :, None, None]
on channels_last tensors, and both forward + backward, with the same byte counts."""
import torch

from cuda_timing import copy_gb_per_s, report, time_ms

CASES = [
    ("effnet_b0_112x112x32", 112, 32), ("effnet_b0_56x56x144", 56, 144),
    ("effnet_b0_28x28x240", 28, 240), ("effnet_b0_14x14x672", 14, 672),
    ("effnet_b0_7x7x1152", 7, 1152), ("seresnext50_56x56x256", 56, 256),
    ("seresnext50_7x7x2048", 7, 2048),
]


def main():
    ceiling = copy_gb_per_s()
    print(f"device={torch.cuda.get_device_name()} copy_GB/s={ceiling:.1f}")
    for name, size, channels in CASES:
        x = torch.randn(64, channels, size, size, device="cuda", dtype=torch.bfloat16)
        x = x.to(memory_format=torch.channels_last).requires_grad_()
        gate = torch.rand(64, channels, device="cuda", dtype=torch.bfloat16, requires_grad=True)
        gy = torch.randn_like(x)
        tensor = 2.0 * x.numel()
        with torch.no_grad():
            report(f"{name} squeeze", time_ms(lambda: x.mean((2, 3))), tensor, ceiling=ceiling)
            report(f"{name} excite", time_ms(lambda: x * gate[:, :, None, None]), 2 * tensor,
                   ceiling=ceiling)

        def step():
            pooled = x.mean((2, 3))
            y = x * gate[:, :, None, None]
            return torch.autograd.grad((y, pooled), (x, gate), (gy, torch.ones_like(pooled)))

        report(f"{name} fwd+bwd", time_ms(step), 8 * tensor, ceiling=ceiling)


if __name__ == "__main__":
    main()
