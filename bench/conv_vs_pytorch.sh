#!/usr/bin/env bash
# Times one conv2d training step per shape in fovea (bench/conv_bench.cpp) and in PyTorch
# (bench/pytorch/conv_step.py, the faster of NCHW and channels_last), both on 2 threads,
# one after the other, and prints the ratio fovea / PyTorch (below 1: fovea is faster).
# Usage: bench/conv_vs_pytorch.sh [build dir]   (needs a build with -DFOVEA_BUILD_BENCH=ON)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
threads="${OMP_NUM_THREADS:-2}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

OMP_NUM_THREADS="$threads" "$build/bench/conv_bench" --benchmark_format=json \
  --benchmark_out="$out/fovea.json" --benchmark_out_format=json >/dev/null
/usr/bin/python3 "$root/bench/pytorch/conv_step.py" --threads "$threads" >"$out/pytorch.txt"

/usr/bin/python3 - "$out/fovea.json" "$out/pytorch.txt" <<'EOF'
import json
import sys

fovea = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    fovea[b["name"].split("/")[1]] = (b["real_time"], b["FLOP/s"] / 1e9)
print(f"{'case':26} {'fovea ms':>9} {'GFLOP/s':>8} {'torch ms':>9} {'layout':>13} {'ratio':>6}")
for line in open(sys.argv[2]):
    if line.startswith("#"):
        print(line.strip())
        continue
    name, *fields = line.split()
    times = dict(f.split("=") for f in fields)
    best = float(times["best_ms"])
    layout = "nchw" if float(times["nchw_ms"]) == best else "channels_last"
    ms, gflops = fovea[name]
    print(f"{name:26} {ms:9.2f} {gflops:8.1f} {best:9.2f} {layout:>13} {ms / best:6.2f}")
EOF
