#!/usr/bin/env python3
"""PyTorch 2.x attention on the GPU in bf16 at the shapes of bench/cuda/attention_bench.cpp:
F.scaled_dot_product_attention for ViT-B/16, and timm's Swin window attention (q k^T with
the relative position bias and shifted-window mask through F.scaled_dot_product_attention
with an additive mask, as timm's fused_attn path does) at Swin-T's four stages. Reports
TFLOP/s of the same matrix-product FLOP count."""
import torch
import torch.nn.functional as F

from cuda_timing import report, time_ms

SDPA = [("vit_b_64x12x197x64", 64, 12, 197, 64)]
WINDOWS = [
    ("swin_t_s1_64x64w_3h", 64, 3), ("swin_t_s2_64x16w_6h", 16, 6),
    ("swin_t_s3_64x4w_12h", 4, 12), ("swin_t_s4_64x1w_24h", 1, 24),
]


def flops(batch_heads, q, k, d, backward):
    one = 2.0 * batch_heads * q * k * d
    return 6 * one if backward else 2 * one


def run(name, q, k, v, mask, batch_heads, n, d):
    go = torch.randn_like(q)
    with torch.no_grad():
        ms = time_ms(lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=mask))
    report(f"{name} fwd", ms, flops=flops(batch_heads, n, n, d, False))
    ms = time_ms(lambda: torch.autograd.grad(
        F.scaled_dot_product_attention(q, k, v, attn_mask=mask), (q, k, v), go))
    report(f"{name} fwd+bwd", ms, flops=flops(batch_heads, n, n, d, True))


def main():
    print(f"device={torch.cuda.get_device_name()}")
    for name, batch, heads, tokens, dim in SDPA:
        q, k, v = (torch.randn(batch, heads, tokens, dim, device="cuda", dtype=torch.bfloat16,
                               requires_grad=True) for _ in range(3))
        run(f"sdpa {name}", q, k, v, None, batch * heads, tokens, dim)
    for name, windows, heads in WINDOWS:
        total = 64 * windows
        q, k, v = (torch.randn(total, heads, 49, 32, device="cuda", dtype=torch.bfloat16,
                               requires_grad=True) for _ in range(3))
        bias = torch.randn(heads, 49, 49, device="cuda", dtype=torch.bfloat16, requires_grad=True)
        mask = torch.zeros(windows, 49, 49, device="cuda", dtype=torch.bfloat16)
        # timm: attn_mask = bias (+ shifted-window mask per window), broadcast over images.
        full = (bias.unsqueeze(0) + mask.unsqueeze(1)).repeat(64, 1, 1, 1).detach()
        run(f"window_attention {name}", q, k, v, full, total * heads, 49, 32)


if __name__ == "__main__":
    main()
