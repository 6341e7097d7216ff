"""References for matmul, bmm, linear and scaled dot-product attention (f32).

PyTorch 1.13 has no F.scaled_dot_product_attention, so attention is written out as the
math it stands for: softmax((q @ k^T) * scale + bias, with masked-out scores at -inf) @ v.
"""
import math

import torch
import torch.nn.functional as F

from common import Cases


def attention(q, k, v, bias=None, mask=None, scale=None):
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ k.transpose(-2, -1) * scale
    if bias is not None:
        scores = scores + bias
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return scores.softmax(dim=-1) @ v


def build():
    c = Cases(seed=0)
    mm = lambda a, b: torch.matmul(a, b)  # noqa: E731
    r = torch.randn

    c.record("matmul_dot", mm, a=r(7), b=r(7))
    c.record("matmul_vec_mat", mm, a=r(4), b=r(4, 5))
    c.record("matmul_mat_vec", mm, a=r(3, 4), b=r(4))
    c.record("matmul_mm", mm, a=r(3, 4), b=r(4, 5))
    c.record("matmul_broadcast", mm, a=r(2, 1, 3, 4), b=r(5, 4, 6))
    c.record("matmul_shared_weight", mm, a=r(2, 5, 3, 4), b=r(4, 6))
    c.record("matmul_shared_left", mm, a=r(3, 4), b=r(2, 5, 4, 6))
    c.record("matmul_batched_vec", mm, a=r(2, 3, 4), b=r(4))
    c.record("matmul_vec_batched", mm, a=r(4), b=r(2, 4, 5))
    # Non-contiguous operands: stored [4, 3] and [2, 6, 4], multiplied transposed.
    c.record("matmul_transposed", lambda a, b: a.t() @ b.transpose(-1, -2),
             a=r(4, 3), b=r(2, 6, 4))
    c.record("bmm", lambda a, b: torch.bmm(a, b), a=r(3, 4, 5), b=r(3, 5, 2))

    c.record("linear_bias", F.linear, input=r(2, 5, 7), weight=r(4, 7), bias=r(4))
    c.record("linear_no_bias", F.linear, input=r(2, 5, 7), weight=r(4, 7))

    # ViT-like self-attention: B=2, H=3, L=S=17, D=8.
    c.record("sdpa_plain", attention, q=r(2, 3, 17, 8), k=r(2, 3, 17, 8), v=r(2, 3, 17, 8))
    # A relative-position-style bias [H, L, S], broadcast over the batch, with a gradient.
    c.record("sdpa_bias", attention, q=r(2, 3, 7, 8), k=r(2, 3, 7, 8), v=r(2, 3, 7, 8),
             bias=r(3, 7, 7))
    # A bool mask [L, S] broadcast over batch and heads; the diagonal keeps every row alive.
    mask = (torch.rand(7, 7) > 0.4) | torch.eye(7, dtype=torch.bool)
    c.record("sdpa_mask", attention, q=r(2, 3, 7, 8), k=r(2, 3, 7, 8), v=r(2, 3, 7, 8),
             bias=r(1, 3, 1, 7), mask=mask)
    # Cross-attention, L != S, Dv != D, and an explicit scale.
    c.record("sdpa_cross", lambda q, k, v: attention(q, k, v, scale=0.3),
             q=r(2, 3, 5, 8), k=r(2, 3, 9, 8), v=r(2, 3, 9, 6))
    return c.tensors
