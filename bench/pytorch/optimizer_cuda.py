#!/usr/bin/env python3
"""PyTorch 2.x AdamW on the GPU over the parameter sets of ResNet-50 and ViT-B/16, the
same sets as bench/cuda/optimizer_bench.cpp: f32 parameters, one step of the fused
(single multi-tensor kernel) and foreach implementations. Each moves 28 bytes per parameter
(read and write the parameter, exp_avg and exp_avg_sq; read the gradient), so the GB/s
columns compare with fovea's f32 rows. PyTorch keeps no f32 master copy for bf16
parameters, so fovea's bf16-with-master rows have no PyTorch twin."""
import timm
import torch

from cuda_timing import copy_gb_per_s, report, time_ms

MODELS = [("ResNet50", "resnet50"), ("ViTB", "vit_base_patch16_224")]


def main():
    ceiling = copy_gb_per_s()
    print(f"device={torch.cuda.get_device_name()} copy_GB/s={ceiling:.1f}")
    for label, name in MODELS:
        params = [p.detach().cuda().requires_grad_() for p in timm.create_model(name).parameters()]
        for p in params:
            p.grad = torch.randn_like(p)
        count = sum(p.numel() for p in params)
        for flavour in ("fused", "foreach"):
            optimizer = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.05, **{flavour: True})
            optimizer.step()  # creates the state outside the timed steps
            ms = time_ms(optimizer.step)
            report(f"adamw {label}_f32 {flavour} tensors={len(params)} params={count}", ms,
                   28.0 * count, ceiling=ceiling)


if __name__ == "__main__":
    main()
