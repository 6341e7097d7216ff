"""PyTorch's CUDA elementwise kernels at the shapes of bench/cuda/elementwise_bench.cpp.

Prints, per op, shape and dtype, the time per call (CUDA events, median of repeats after a
warm-up) and the GB/s of the bytes the op must move, with a device-to-device copy of the
same tensor as the memory roof. Runs on the GPU machine (PyTorch 2.11), from
scripts/gpu-check.sh. PyTorch's tensors are NCHW-agnostic here: every op is elementwise
over a contiguous tensor of the same number of elements, and the broadcast add adds a
vector along the last dim as fovea's NHWC per-channel bias does.
"""
import torch
import torch.nn.functional as F

STAGES = [(64, 56, 56, 96), (64, 28, 28, 192), (64, 14, 14, 384), (64, 7, 7, 768)]
DTYPES = [torch.float32, torch.bfloat16]


def time_ms(fn, repeats=20):
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = torch.cuda.Event(enable_timing=True)
        stop = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    times.sort()
    return times[len(times) // 2]


def report(name, shape, dtype, ms, nbytes):
    gbs = nbytes / (ms * 1e6)
    print(f"{name:<22} {str(shape):<20} {str(dtype):<16} {ms * 1e3:9.1f} us {gbs:8.0f} GB/s")


def main():
    device = torch.device("cuda")
    print(f"# {torch.cuda.get_device_name()} torch {torch.__version__}")
    for dtype in DTYPES:
        for shape in STAGES:
            a = torch.randn(shape, device=device, dtype=dtype)
            b = torch.randn(shape, device=device, dtype=dtype)
            bias = torch.randn(shape[-1], device=device, dtype=dtype)
            out = torch.empty_like(a)
            n = a.numel() * a.element_size()
            report("device_copy", shape, dtype, time_ms(lambda: out.copy_(a)), 2 * n)
            report("add", shape, dtype, time_ms(lambda: torch.add(a, b)), 3 * n)
            report("add_channel_bcast", shape, dtype, time_ms(lambda: torch.add(a, bias)), 2 * n)
            report("gelu", shape, dtype, time_ms(lambda: F.gelu(a)), 2 * n)
            report("silu", shape, dtype, time_ms(lambda: F.silu(a)), 2 * n)
            x = a.detach().requires_grad_(True)
            y = F.gelu(x)
            g = torch.randn_like(y)
            report("gelu_backward", shape, dtype,
                   time_ms(lambda: torch.autograd.grad(y, x, g, retain_graph=True)), 3 * n)


if __name__ == "__main__":
    main()
