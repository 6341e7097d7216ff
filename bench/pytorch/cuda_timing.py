"""Shared timing for the bench/pytorch/*_cuda.py scripts (run on the lent GPU): CUDA-event
timing of a callable after warm-up, and a device-to-device copy of 1 GiB as the bandwidth
ceiling, measured the same way as bench/cuda/roofline.h so the GB/s columns compare."""
import torch


def time_ms(work, repeats=20):
    work()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(repeats):
        work()
    stop.record()
    torch.cuda.synchronize()
    return start.elapsed_time(stop) / repeats


def copy_gb_per_s():
    src = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    ms = time_ms(lambda: dst.copy_(src))
    return 2.0 * src.numel() / (ms * 1e6)


def report(name, ms, bytes_moved=None, flops=None, ceiling=None):
    line = f"{name} ms={ms:.4f}"
    if bytes_moved is not None:
        gbs = bytes_moved / (ms * 1e6)
        line += f" GB/s={gbs:.1f}"
        if ceiling:
            line += f" copy%={100.0 * gbs / ceiling:.1f}"
    if flops is not None:
        line += f" TFLOP/s={flops / (ms * 1e9):.2f}"
    print(line, flush=True)
