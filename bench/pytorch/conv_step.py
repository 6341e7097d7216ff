#!/usr/bin/python3
"""One conv2d training step (forward, backward-data, backward-weight) in PyTorch, for the
cases of bench/conv_bench.cpp, on the CPU with 2 threads.

Each case runs in NCHW and in channels_last; PyTorch's better time counts as its number.
Prints one line per case: name, ms per step in each layout, and the best, e.g.
    layer1_3x3_64_56 nchw_ms=41.20 channels_last_ms=38.90 best_ms=38.90
"""
import argparse
import time

import torch
import torch.nn.functional as F

# name, batch, size, in, out, kernel, stride, padding, groups, input needs grad
CASES = [
    ("stem_7x7_3_64_224", 32, 224, 3, 64, 7, 2, 3, 1, False),
    ("layer1_3x3_64_56", 32, 56, 64, 64, 3, 1, 1, 1, True),
    ("layer2_3x3_128_28", 32, 28, 128, 128, 3, 1, 1, 1, True),
    ("layer2_down_1x1_64_128", 32, 56, 64, 128, 1, 2, 0, 1, True),
    ("layer3_3x3_256_14", 32, 14, 256, 256, 3, 1, 1, 1, True),
    ("layer4_3x3_512_7", 32, 7, 512, 512, 3, 1, 1, 1, True),
    ("dw_3x3_144_56", 32, 56, 144, 144, 3, 1, 1, 144, True),
]


def time_step(case, memory_format, min_time):
    _, batch, size, cin, cout, k, stride, pad, groups, input_grad = case
    x = torch.randn(batch, cin, size, size).to(memory_format=memory_format)
    x.requires_grad_(input_grad)
    w = torch.randn(cout, cin // groups, k, k).to(memory_format=memory_format).requires_grad_()
    with torch.no_grad():
        gy = torch.randn_like(F.conv2d(x, w, None, stride, pad, 1, groups))

    def step():
        x.grad = None
        w.grad = None
        y = F.conv2d(x, w, None, stride, pad, 1, groups)
        y.backward(gy)

    for _ in range(2):  # warm-up: oneDNN builds its kernels on first use
        step()
    iterations, start = 0, time.perf_counter()
    while True:
        step()
        iterations += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time and iterations >= 3:
            return 1000.0 * elapsed / iterations


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--min-time", type=float, default=2.0, help="seconds per measurement")
    parser.add_argument("--only", nargs="*", help="case names to run (default: all)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"mkldnn={torch.backends.mkldnn.is_available()}")
    for case in CASES:
        if args.only and case[0] not in args.only:
            continue
        nchw = time_step(case, torch.contiguous_format, args.min_time)
        channels_last = time_step(case, torch.channels_last, args.min_time)
        print(f"{case[0]} nchw_ms={nchw:.2f} channels_last_ms={channels_last:.2f} "
              f"best_ms={min(nchw, channels_last):.2f}", flush=True)


if __name__ == "__main__":
    main()
