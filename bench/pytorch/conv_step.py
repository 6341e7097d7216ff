#!/usr/bin/python3
"""One conv2d training step (forward, backward-data, backward-weight) in PyTorch, for the
cases of bench/conv_bench.cpp, on the CPU with 2 threads.

Each case runs in NCHW and in channels_last; PyTorch's better time counts as its number.
A measurement is the mean step time over at least --min-time seconds; with --repeats R
the best of R measurements is kept, which on a shared machine is the closest to the
uncontended time. Prints one line per case, e.g.
    layer1_3x3_64_56 nchw_ms=41.20 channels_last_ms=38.90 best_ms=38.90 ...
with the wall-clock times, and the same as CPU time of the calling thread (*_cpu_ms),
which is the whole cost only with --threads 1.
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
    iterations, start, start_cpu = 0, time.perf_counter(), time.thread_time()
    while True:
        step()
        iterations += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time and iterations >= 3:
            cpu = time.thread_time() - start_cpu
            return 1000.0 * elapsed / iterations, 1000.0 * cpu / iterations


def best_of(repeats, case, memory_format, min_time):
    runs = [time_step(case, memory_format, min_time) for _ in range(repeats)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--min-time", type=float, default=2.0, help="seconds per measurement")
    parser.add_argument("--only", nargs="*", help="case names to run (default: all)")
    parser.add_argument("--repeats", type=int, default=1, help="measurements per case; the best counts")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"mkldnn={torch.backends.mkldnn.is_available()}")
    for case in CASES:
        if args.only and case[0] not in args.only:
            continue
        nchw, nchw_cpu = best_of(args.repeats, case, torch.contiguous_format, args.min_time)
        cl, cl_cpu = best_of(args.repeats, case, torch.channels_last, args.min_time)
        print(f"{case[0]} nchw_ms={nchw:.2f} channels_last_ms={cl:.2f} best_ms={min(nchw, cl):.2f} "
              f"nchw_cpu_ms={nchw_cpu:.2f} channels_last_cpu_ms={cl_cpu:.2f} "
              f"best_cpu_ms={min(nchw_cpu, cl_cpu):.2f}", flush=True)


if __name__ == "__main__":
    main()
