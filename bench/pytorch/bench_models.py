"""Training and inference throughput of the seed models through PyTorch + timm, beside
`fovea bench` for the same model, batch, size and precision, in one run on one machine.

    python3 bench/pytorch/bench_models.py --fovea build/fovea --device cuda --amp bf16 \\
        --batch 128 --models resnet50 swin_tiny_patch4_window7_224 efficientnet_b0

Both sides measure the same thing, as timm's benchmark.py does: after warm-up, the mean
time of a forward pass (inference, no grad) and of a training step (forward,
cross-entropy, backward, AdamW step, zero_grad) on one random batch, plus the peak
memory. PyTorch runs in channels_last (fovea's NHWC) with torch.autocast, and AdamW
uses its fused CUDA kernel, i.e. the fastest eager setup a PyTorch user gets without
torch.compile. The ratio column is fovea / PyTorch: above 1 means fovea is faster.

Both sides run on the same number of CPU threads (--threads, default: OMP_NUM_THREADS or
every core): PyTorch through torch.set_num_threads, fovea through OMP_NUM_THREADS in its
environment. Debian's torch would otherwise start with one thread where fovea uses all.
"""
import argparse
import os
import re
import subprocess
import time

import torch

# fovea names that timm spells differently, and the size each is benchmarked at by default.
TIMM_NAME = {"raddino": "vit_base_patch14_dinov2", "chexnet": "densenet121"}
DEFAULT_MODELS = ["resnet50", "swin_tiny_patch4_window7_224", "efficientnet_b0",
                  "vit_base_patch16_224", "mobilenetv3_large_100", "convnext_tiny"]


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def seconds_per_step(step, device, warmup, steps):
    for _ in range(warmup):
        step()
    synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    synchronize(device)
    return (time.perf_counter() - start) / steps


def peak_mib(device):
    if device.type != "cuda":
        return float("nan")
    return torch.cuda.max_memory_allocated(device) / 2**20


def reset_peak(device):
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def bench_pytorch(name, args, device):
    import timm

    timm_name = TIMM_NAME.get(name, name)
    # Transformers build their position tables for one size; CNNs take any size as is.
    sized = {"img_size": args.img_size} if timm_name.startswith(("vit", "swin")) else {}
    model = timm.create_model(timm_name, num_classes=args.classes, **sized)
    model = model.to(device=device, memory_format=torch.channels_last)
    amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(args.amp)
    x = torch.randn(args.batch, 3, args.img_size, args.img_size, device=device)
    x = x.contiguous(memory_format=torch.channels_last)
    labels = torch.randint(0, args.classes, (args.batch,), device=device)

    def autocast():
        return torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None)

    model.eval()
    reset_peak(device)

    def infer():
        with torch.no_grad(), autocast():
            model(x).sum().item()

    infer_s = seconds_per_step(infer, device, args.warmup, args.steps)
    infer_peak = peak_mib(device)

    model.train()
    fused = {"fused": True} if device.type == "cuda" else {}
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, **fused)
    scaler = torch.cuda.amp.GradScaler(enabled=args.amp == "fp16")
    reset_peak(device)

    def train():
        with autocast():
            loss = torch.nn.functional.cross_entropy(model(x), labels)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        loss.item()

    train_s = seconds_per_step(train, device, args.warmup, args.steps)
    return {"infer": args.batch / infer_s, "train": args.batch / train_s,
            "infer_peak": infer_peak, "train_peak": peak_mib(device)}


FOVEA_LINE = re.compile(r"(inference|training):\s+([\d.]+) img/s .* peak (\d+) MiB")


def bench_fovea(name, args):
    command = [args.fovea, "bench", "--model", name, "--batch", str(args.batch),
               "--img-size", str(args.img_size), "--amp", args.amp if args.amp != "fp16" else "f16",
               "--device", args.device, "--steps", str(args.steps), "--warmup", str(args.warmup),
               "--classes", str(args.classes)]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    found = {kind: (float(rate), float(peak)) for kind, rate, peak in FOVEA_LINE.findall(output)}
    if set(found) != {"inference", "training"}:
        raise RuntimeError(f"unexpected output from {' '.join(command)}:\n{output}")
    return {"infer": found["inference"][0], "train": found["training"][0],
            "infer_peak": found["inference"][1], "train_peak": found["training"][1]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    parser.add_argument("--fovea", help="path to the fovea binary; omit to time PyTorch alone")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--amp", default="bf16", choices=["off", "bf16", "fp16"])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--img-size", type=int, default=224)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int,
                        default=int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())),
                        help="CPU threads for both PyTorch and fovea")
    args = parser.parse_args()
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.backends.cudnn.benchmark = True
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"# {name}, torch {torch.__version__}, batch {args.batch}, {args.img_size}px, "
          f"amp {args.amp}, {args.steps} steps after {args.warmup} warm-up, "
          f"{torch.get_num_threads()} CPU threads on both sides")
    print("| model | PyTorch train img/s | fovea train img/s | ratio | PyTorch infer img/s "
          "| fovea infer img/s | ratio | PyTorch train peak MiB | fovea train peak MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for model in args.models:
        torch_result = bench_pytorch(model, args, device)
        fovea_result = bench_fovea(model, args) if args.fovea else None

        def cells(key):
            ours = fovea_result[key] if fovea_result else float("nan")
            return f"{torch_result[key]:.1f} | {ours:.1f} | {ours / torch_result[key]:.2f}x"

        ours_peak = fovea_result["train_peak"] if fovea_result else float("nan")
        print(f"| {model} | {cells('train')} | {cells('infer')} | "
              f"{torch_result['train_peak']:.0f} | {ours_peak:.0f} |", flush=True)


if __name__ == "__main__":
    main()
