#!/usr/bin/env bash
# Times one conv2d training step per shape in fovea (bench/conv_bench.cpp) and in PyTorch
# (bench/pytorch/conv_step.py, the faster of NCHW and channels_last) with the same number
# of threads, and prints the ratio fovea / PyTorch (below 1: fovea is faster).
#
# For each case the two sides take turns, --repeats times, and each keeps its best run:
# on a machine shared with other work that is the closest to the uncontended time, and
# taking turns gives both sides the same chances at a quiet moment. With --cpu-time
# (single thread only) the ratio uses the CPU time of the working thread instead, which
# other processes competing for the cores inflate far less.
#
# Usage: bench/conv_vs_pytorch.sh [--build DIR] [--threads N] [--repeats R] [--min-time S]
#                                 [--cpu-time] [CASE...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build" threads=2 repeats=3 min_time=1 cpu_time=0 cases=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --min-time) min_time="$2"; shift 2 ;;
    --cpu-time) cpu_time=1; shift ;;
    -*) echo "unknown option: $1" >&2; exit 2 ;;
    *) cases+=("$1"); shift ;;
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
export OMP_NUM_THREADS="$threads"
exec /usr/bin/python3 - "$build/bench/conv_bench" "$root/bench/pytorch/conv_step.py" \
  "$threads" "$repeats" "$min_time" "$cpu_time" "${cases[@]}" <<'PY'
import json
import subprocess
import sys
import tempfile

bench, torch_script, threads, repeats, min_time, use_cpu = sys.argv[1:7]
use_cpu = use_cpu == "1"
wanted = sys.argv[7:]
listing = subprocess.run([bench, "--benchmark_list_tests"], check=True, capture_output=True,
                         text=True).stdout.split()
cases = [name.split("/")[1] for name in listing if name.startswith("ConvStep/")]
cases = [c for c in cases if not wanted or c in wanted]


def fovea_once(case):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([bench, f"--benchmark_filter=^ConvStep/{case}/",
                        f"--benchmark_min_time={min_time}", f"--benchmark_out={out.name}",
                        "--benchmark_out_format=json"], check=True, capture_output=True)
        b = json.load(open(out.name))["benchmarks"][0]
    ms = b["cpu_time"] if use_cpu else b["real_time"]
    return ms, b["FLOP/s"] * b["real_time"] / ms / 1e9  # the counter is per real second


def torch_once(case):
    text = subprocess.run(["/usr/bin/python3", torch_script, "--threads", threads,
                           "--min-time", min_time, "--only", case],
                          check=True, capture_output=True, text=True).stdout
    line = [l for l in text.splitlines() if not l.startswith("#")][0]
    times = {k: float(v) for k, v in (f.split("=") for f in line.split()[1:])}
    suffix = "_cpu_ms" if use_cpu else "_ms"
    return {"nchw": times["nchw" + suffix], "channels_last": times["channels_last" + suffix]}


print(f"# {threads} threads, best of {repeats} alternating runs per side, "
      f"{'CPU' if use_cpu else 'wall'} time")
print(f"{'case':26} {'fovea ms':>9} {'GFLOP/s':>8} {'torch ms':>9} {'layout':>13} {'ratio':>6}",
      flush=True)
for case in cases:
    fovea, torch = (float("inf"), 0.0), {"nchw": float("inf"), "channels_last": float("inf")}
    for _ in range(int(repeats)):
        fovea = min(fovea, fovea_once(case))
        torch = {k: min(v, t) for (k, v), t in zip(torch.items(), torch_once(case).values())}
    layout = min(torch, key=torch.get)
    print(f"{case:26} {fovea[0]:9.2f} {fovea[1]:8.1f} {torch[layout]:9.2f} {layout:>13} "
          f"{fovea[0] / torch[layout]:6.2f}", flush=True)
PY
