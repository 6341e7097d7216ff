#!/usr/bin/env bash
# Data pipeline speed, fovea next to torchvision, on the same JPEG files and cores.
#   bench/data_vs_torchvision.sh [BUILD_DIR]      (default: build)
# Environment: FOVEA_DATA_BENCH_DIR (where the 500 JPEGs and the packs live),
# STEP_MS (a model step time for a batch of 32 at 224 to compare the loader against;
# default 10.7 ms, roughly ResNet-50 training in bf16 on an H100 at ~3000 img/s -- an
# estimate, not a measurement), SECONDS_PER_CASE (torchvision timing, default 10).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
export FOVEA_DATA_BENCH_DIR="${FOVEA_DATA_BENCH_DIR:-/tmp/fovea-data-bench}"
step_ms="${STEP_MS:-10.7}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$build/bench/data_bench" --benchmark_out="$out/fovea.json" --benchmark_out_format=json \
  --benchmark_counters_tabular=true
/usr/bin/python3 "$here/pytorch/data_pipeline.py" "$FOVEA_DATA_BENCH_DIR/jpeg" \
  --seconds "${SECONDS_PER_CASE:-10}" | tee "$out/torchvision.txt"
echo "1600x1200 photos:"
/usr/bin/python3 "$here/pytorch/data_pipeline.py" "$FOVEA_DATA_BENCH_DIR/jpeg-large" \
  --seconds "${SECONDS_PER_CASE:-10}" | tee "$out/torchvision-large.txt"

/usr/bin/python3 - "$out/fovea.json" "$out/torchvision.txt" "$step_ms" "$out/torchvision-large.txt" <<'PY'
import json, sys
runs = {b["name"].split("/min_time")[0]: b for b in json.load(open(sys.argv[1]))["benchmarks"]}
read_tv = lambda path: dict(line.strip().split("=", 1) for line in open(path) if "=" in line)
tv, tv_large = read_tv(sys.argv[2]), read_tv(sys.argv[4])
step_ms = float(sys.argv[3])
rate = lambda name: runs[name]["items_per_second"]
jpeg, pack160, pack256 = rate("BM_PipelineFromJpeg"), rate("BM_PipelineFromPack160"), rate("BM_PipelineFromPack256")
tv_pipe, tv_decode = float(tv["torchvision_pipeline_img_per_s"]), float(tv["torchvision_decode_img_per_s"])
decode, decode_stb = rate("BM_DecodeJpeg"), rate("BM_DecodeJpegStb")
large, large_full = rate("BM_PipelineFromLargeJpeg"), rate("BM_PipelineFromLargeJpegFullDecode")
tv_large_pipe = float(tv_large["torchvision_pipeline_img_per_s"])
print("\nimages/s on one core (RandomResizedCrop 224 + flip + normalize to f32)")
print(f"  decode only:  fovea/libjpeg-turbo {decode:7.0f}   torchvision/PIL {tv_decode:7.0f}   ratio {decode / tv_decode:.2f}x")
print(f"                fovea/stb (before)  {decode_stb:7.0f}   turbo = {decode / decode_stb:.2f}x stb")
print(f"  from JPEG:    fovea     {jpeg:7.0f}   torchvision     {tv_pipe:7.0f}   ratio {jpeg / tv_pipe:.2f}x")
print(f"  1600x1200:    fovea     {large:7.0f}   torchvision     {tv_large_pipe:7.0f}   ratio {large / tv_large_pipe:.2f}x")
print(f"                fovea, full-size decode {large_full:7.0f}   DCT scaling = {large / large_full:.2f}x")
print(f"  packed (short side 160): {pack160:7.0f}   = {pack160 / jpeg:.1f}x the JPEG path")
print(f"  packed (short side 256): {pack256:7.0f}   = {pack256 / jpeg:.1f}x the JPEG path")
print("\nLoader, batches of 32, wall clock (workers share this machine's cores):")
for name in ("BM_LoaderFromJpeg/1", "BM_LoaderFromJpeg/2", "BM_LoaderFromPack160/1", "BM_LoaderFromPack160/2"):
    if name in runs:
        print(f"  {name:24s} {runs[name]['items_per_second']:7.0f} img/s")
print(f"\nInput-bound or not, against a model step of {step_ms} ms per batch of 32:")
for label, per_core in (("JPEG", jpeg), ("pack 160", pack160)):
    batch_ms = 32 / per_core * 1000
    print(f"  {label:9s} {batch_ms:6.1f} ms of one core per batch -> needs {batch_ms / step_ms:5.1f} "
          f"cores to keep up ({'input-bound' if batch_ms > step_ms else 'keeps up'} on one core)")
PY
