#!/usr/bin/env bash
# Times one conv2d training step per shape in fovea (bench/conv_bench.cpp) and in PyTorch
# (bench/pytorch/conv_step.py, the faster of NCHW and channels_last) with the same number
# of threads, and prints the ratio fovea / PyTorch (below 1: fovea is faster).
#
# Each side measures every case --repeats times and keeps its best run: on a machine
# shared with other work that is the closest to the uncontended time. With --cpu-time
# (single thread only) the ratio uses the CPU time of the working thread instead, which
# other processes competing for the cores do not inflate.
#
# Usage: bench/conv_vs_pytorch.sh [--build DIR] [--threads N] [--repeats R] [--min-time S]
#                                 [--cpu-time]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build" threads=2 repeats=3 min_time=1 cpu_time=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --min-time) min_time="$2"; shift 2 ;;
    --cpu-time) cpu_time=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [ "$cpu_time" = 1 ] && [ "$threads" != 1 ]; then
  echo "--cpu-time needs --threads 1: the CPU time of one thread is the whole cost only then" >&2
  exit 2
fi
[ -x "$build/bench/conv_bench" ] || {
  echo "no $build/bench/conv_bench: build with -DFOVEA_BUILD_BENCH=ON first" >&2
  exit 1
}
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

OMP_NUM_THREADS="$threads" "$build/bench/conv_bench" --benchmark_repetitions="$repeats" \
  --benchmark_min_time="$min_time" --benchmark_out="$out/fovea.json" \
  --benchmark_out_format=json >/dev/null
/usr/bin/python3 "$root/bench/pytorch/conv_step.py" --threads "$threads" --repeats "$repeats" \
  --min-time "$min_time" >"$out/pytorch.txt"

/usr/bin/python3 - "$out/fovea.json" "$out/pytorch.txt" "$cpu_time" <<'PY'
import json
import sys

use_cpu = sys.argv[3] == "1"
report = json.load(open(sys.argv[1]))
fovea = {}
for b in report["benchmarks"]:
    if b.get("run_type", "iteration") != "iteration":
        continue
    name = b["name"].split("/")[1]
    ms = b["cpu_time"] if use_cpu else b["real_time"]
    flops = b["FLOP/s"] * b["real_time"] / ms  # the counter is per real second
    if name not in fovea or ms < fovea[name][0]:
        fovea[name] = (ms, flops / 1e9)
ctx = report["context"]
print(f"# fovea: {ctx.get('num_cpus')} cpus, {ctx.get('mhz_per_cpu')} MHz; "
      f"times are the best of each side's repetitions ({'CPU' if use_cpu else 'wall'} time)")
print(f"{'case':26} {'fovea ms':>9} {'GFLOP/s':>8} {'torch ms':>9} {'layout':>13} {'ratio':>6}")
suffix = "_cpu_ms" if use_cpu else "_ms"
for line in open(sys.argv[2]):
    if line.startswith("#"):
        print(line.strip())
        continue
    name, *fields = line.split()
    times = {k: float(v) for k, v in (f.split("=") for f in fields)}
    nchw, cl = times["nchw" + suffix], times["channels_last" + suffix]
    best, layout = (nchw, "nchw") if nchw <= cl else (cl, "channels_last")
    ms, gflops = fovea[name]
    print(f"{name:26} {ms:9.2f} {gflops:8.1f} {best:9.2f} {layout:>13} {ms / best:6.2f}")
PY
