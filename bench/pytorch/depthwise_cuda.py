#!/usr/bin/env python3
"""PyTorch's depthwise conv2d on the GPU (channels_last, bf16, B=64) at the shapes of
bench/cuda/depthwise_cuda_bench.cpp: ConvNeXt-T's 7x7 stages and EfficientNet-B0's depthwise
layers. Prints the forward and forward+backward time (median of CUDA-event timings) and
the GB/s of the bytes each pass must move, counted as depthwise_cuda_bench.cpp counts them.
Runs on the GPU machine (PyTorch 2.11), not in CI."""
import torch

CASES = [
    ("convnext_t_s1", 56, 96, 7, 1), ("convnext_t_s2", 28, 192, 7, 1),
    ("convnext_t_s3", 14, 384, 7, 1), ("convnext_t_s4", 7, 768, 7, 1),
    ("effnet_b0_112x32_k3", 112, 32, 3, 1), ("effnet_b0_112x96_k3_s2", 112, 96, 3, 2),
    ("effnet_b0_56x144_k5_s2", 56, 144, 5, 2), ("effnet_b0_28x240_k5", 28, 240, 5, 1),
    ("effnet_b0_14x480_k3", 14, 480, 3, 1), ("effnet_b0_14x672_k5", 14, 672, 5, 1),
    ("effnet_b0_7x1152_k5", 7, 1152, 5, 1),
]
BATCH = 64


def median_ms(fn, repeats=50):
    for _ in range(5):
        fn()
    times = []
    for _ in range(repeats):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    times.sort()
    return times[len(times) // 2]


def main():
    torch.backends.cudnn.benchmark = True
    device = torch.device("cuda")
    print(f"{torch.cuda.get_device_name()}  torch {torch.__version__}")
    print(f"{'case':28s} {'fwd us':>9s} {'fwd GB/s':>9s} {'fwd+bwd us':>11s} {'GB/s':>7s}")
    for name, size, channels, k, stride in CASES:
        conv = torch.nn.Conv2d(channels, channels, k, stride, k // 2, groups=channels,
                               device=device, dtype=torch.bfloat16)
        conv = conv.to(memory_format=torch.channels_last)
        x = torch.randn(BATCH, channels, size, size, device=device, dtype=torch.bfloat16)
        x = x.to(memory_format=torch.channels_last).requires_grad_(True)
        with torch.no_grad():
            y = conv(x)
        grad = torch.randn_like(y)
        in_bytes = 2 * x.numel()
        out_bytes = 2 * y.numel()

        def forward():
            with torch.no_grad():
                conv(x)

        def forward_backward():
            out = conv(x)
            out.backward(grad)

        fwd = median_ms(forward)
        both = median_ms(forward_backward)
        print(f"{name:28s} {fwd * 1e3:9.1f} {(in_bytes + out_bytes) / fwd / 1e6:9.0f} "
              f"{both * 1e3:11.1f} {3 * (in_bytes + out_bytes) / both / 1e6:7.0f}")


if __name__ == "__main__":
    main()
