#!/usr/bin/env bash
# One command for a GPU machine: builds fovea with CUDA for sm_90 (H100), runs the cuda
# test tier, compute-sanitizer (memcheck over every cuda test; racecheck over the tests of
# the kernels that use shared memory), every CUDA benchmark and every PyTorch comparison
# script, and writes all results with the GPU's name and the date under $OUT (or
# bench/results/ when OUT is unset).
#
#   scripts/gpu-check.sh              # everything
#   SKIP_BENCH=1 scripts/gpu-check.sh # tests and sanitizers only
#
# The GPU machine has CUDA, CMake, ninja and PyTorch but may lack the Debian packages the
# build needs (fmt, Eigen, GoogleTest, Google Benchmark, yaml-cpp, ...). Put their .deb
# files in $FOVEA_DEBS (default .debs/ in the repository) and they are unpacked first.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${FOVEA_BUILD:-$ROOT/build-gpu}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RESULTS="${OUT:-$ROOT/bench/results/gpu-check-$STAMP}"
JOBS="${JOBS:-16}"
mkdir -p "$RESULTS"
SUMMARY="$RESULTS/summary.txt"
status=0

log() { printf '==> %s\n' "$*" | tee -a "$SUMMARY"; }
record() {  # record NAME RC
  if [ "$2" -eq 0 ]; then log "PASS $1"; else log "FAIL $1 (exit $2)"; status=1; fi
}

DEBS="${FOVEA_DEBS:-$ROOT/.debs}"
if compgen -G "$DEBS/*.deb" >/dev/null; then
  log "unpacking $(ls "$DEBS"/*.deb | wc -l) Debian packages from $DEBS"
  for deb in "$DEBS"/*.deb; do dpkg -x "$deb" / ; done
  ldconfig || true
fi

{
  echo "fovea gpu-check, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi failed"
  nvcc --version | tail -1
} | tee "$RESULTS/machine.txt" >>"$SUMMARY"

log "configure and build (sm_90, -j$JOBS) in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DFOVEA_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90 -DFOVEA_BUILD_TESTS=ON -DFOVEA_BUILD_BENCH=ON \
  >"$RESULTS/build.log" 2>&1 &&
  cmake --build "$BUILD" -j "$JOBS" >>"$RESULTS/build.log" 2>&1
rc=$?
record build $rc
if [ $rc -ne 0 ]; then
  tail -50 "$RESULTS/build.log"
  exit 1
fi

log "ctest -L cuda"
ctest --test-dir "$BUILD" -L cuda --output-on-failure >"$RESULTS/ctest-cuda.log" 2>&1
record "ctest -L cuda" $?
grep -E "tests passed|tests failed|Skipped|SKIPPED" "$RESULTS/ctest-cuda.log" | tail -3 | tee -a "$SUMMARY"

CUDA_TESTS="$BUILD/tests/fovea_cuda_tests"
if command -v compute-sanitizer >/dev/null && [ -x "$CUDA_TESTS" ]; then
  log "compute-sanitizer memcheck over $CUDA_TESTS"
  compute-sanitizer --tool memcheck --error-exitcode 99 --leak-check no "$CUDA_TESTS" \
    >"$RESULTS/memcheck.log" 2>&1
  record memcheck $?
  tail -3 "$RESULTS/memcheck.log" | tee -a "$SUMMARY"
  # racecheck is slow: only the tests whose kernels use shared memory (the column
  # reductions here; the other families add theirs to this filter).
  RACE_FILTER="${RACE_FILTER:-CudaReduction.*:CudaNorm*.*:CudaSoftmax*.*:CudaAttention*.*}"
  log "compute-sanitizer racecheck over $RACE_FILTER"
  compute-sanitizer --tool racecheck --error-exitcode 99 "$CUDA_TESTS" \
    --gtest_filter="$RACE_FILTER" >"$RESULTS/racecheck.log" 2>&1
  record racecheck $?
  tail -3 "$RESULTS/racecheck.log" | tee -a "$SUMMARY"
else
  log "SKIP compute-sanitizer (not found, or no cuda test executable)"
fi

if [ -z "${SKIP_BENCH:-}" ]; then
  # Every bench/cuda/<name>.cpp builds the executable bench/<name>.
  for source in "$ROOT"/bench/cuda/*.cpp; do
    name="$(basename "$source" .cpp)"
    bench="$BUILD/bench/$name"
    [ -x "$bench" ] || { log "FAIL $name: not built"; status=1; continue; }
    log "benchmark $name"
    "$bench" --benchmark_counters_tabular=true --benchmark_out="$RESULTS/$name.json" \
      --benchmark_out_format=json >"$RESULTS/$name.txt" 2>&1
    record "$name" $?
  done
  for script in "$ROOT"/bench/pytorch/*_cuda.py; do
    [ -f "$script" ] || continue
    name="$(basename "$script" .py)"
    log "pytorch $name"
    PYTHONUNBUFFERED=1 python3 "$script" >"$RESULTS/pytorch_$name.txt" 2>&1
    record "pytorch $name" $?
  done
fi

log "results in $RESULTS"
exit $status
