#!/usr/bin/env bash
# The GPU machine's checks: builds fovea with CUDA for sm_90 (H100), runs the cuda test
# tier, compute-sanitizer (memcheck over every cuda test; racecheck over the tests of the
# kernels that use shared memory), every CUDA benchmark, every PyTorch comparison script
# and the whole-model comparison, and writes the results with the GPU's name and the date
# into bench/results/gpu-check-<stamp>/. Under the device tool ($OUT set) the folder also
# comes back as one archive, since a call returns at most 8 files.
#
#   scripts/gpu-check.sh                              # every step
#   STEPS="build tests sanitizer" scripts/gpu-check.sh  # a subset, in this order
#
# Steps: build, tests, sanitizer, bench (kernels and their PyTorch twins), models. One
# device call is limited to 10 minutes, so split them across calls: the build folder
# (build-gpu/) survives between calls only while the machine stays warm, and every step
# after `build` needs it.
#
# The GPU machine has CUDA, CMake, ninja and PyTorch but lacks the Debian packages the
# build needs (fmt, Eigen, GoogleTest, Google Benchmark, yaml-cpp, cairo, ...) and has no
# network: run scripts/gpu-deps.sh here first, and carry .debs in the call.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${FOVEA_BUILD:-$ROOT/build-gpu}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RESULTS="$ROOT/bench/results/gpu-check-$STAMP"
JOBS="${JOBS:-16}"
STEPS=" ${STEPS:-build tests sanitizer bench models} "
mkdir -p "$RESULTS"
SUMMARY="$RESULTS/summary.txt"
status=0

step() { [[ "$STEPS" == *" $1 "* ]]; }
log() { printf '==> %s\n' "$*" | tee -a "$SUMMARY"; }
record() {  # record NAME RC
  if [ "$2" -eq 0 ]; then log "PASS $1"; else log "FAIL $1 (exit $2)"; status=1; fi
}

# The Debian packages from scripts/gpu-deps.sh, unpacked into a prefix rather than into /,
# where they could replace the image's own libraries.
DEBS="${FOVEA_DEBS:-$ROOT/.debs}"
DEPS_PREFIX="${FOVEA_DEPS_PREFIX:-/tmp/fovea-deps}"
if compgen -G "$DEBS/*.deb" >/dev/null; then
  log "unpacking $(ls "$DEBS"/*.deb | wc -l) Debian packages from $DEBS into $DEPS_PREFIX"
  for deb in "$DEBS"/*.deb; do dpkg-deb -x "$deb" "$DEPS_PREFIX"; done
  export CMAKE_PREFIX_PATH="$DEPS_PREFIX/usr${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
  export LD_LIBRARY_PATH="$DEPS_PREFIX/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# cuDNN: the system's if there is one, else the nvidia-cudnn-cu13 wheel next to PyTorch.
if [ -z "${CUDNN_ROOT:-}" ] && ! ldconfig -p 2>/dev/null | grep -q libcudnn.so; then
  CUDNN_ROOT="$(python3 -c 'import nvidia.cudnn as m; print(m.__path__[0])' 2>/dev/null || true)"
  if [ -n "$CUDNN_ROOT" ]; then
    export CUDNN_ROOT LD_LIBRARY_PATH="$CUDNN_ROOT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    log "cuDNN from the PyTorch wheel: $CUDNN_ROOT"
  fi
fi

{
  echo "fovea gpu-check, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi failed"
  nvcc --version | tail -1
} | tee "$RESULTS/machine.txt" >>"$SUMMARY"

if step build; then
  log "configure and build (sm_90, -j$JOBS) in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" $(command -v ninja >/dev/null && echo -GNinja) \
    -DCMAKE_BUILD_TYPE=Release -DFOVEA_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DFOVEA_BUILD_TESTS=ON -DFOVEA_BUILD_BENCH=ON \
    >"$RESULTS/build.log" 2>&1 &&
    cmake --build "$BUILD" -j "$JOBS" >>"$RESULTS/build.log" 2>&1
  rc=$?
  record build $rc
  if [ $rc -ne 0 ]; then
    grep -E "error|Error" -A3 "$RESULTS/build.log" | head -60
    tail -30 "$RESULTS/build.log"
    STEPS=" "  # nothing else can run; still bundle the log below
  fi
fi

CUDA_TESTS="$BUILD/tests/fovea_cuda_tests"
if step tests; then
  log "ctest -L cuda"
  ctest --test-dir "$BUILD" -L cuda --output-on-failure >"$RESULTS/ctest-cuda.log" 2>&1
  record "ctest -L cuda" $?
  grep -E "tests passed|tests failed|Failed|Skipped" "$RESULTS/ctest-cuda.log" | tail -40 |
    tee -a "$SUMMARY"
fi

if step sanitizer; then
  if command -v compute-sanitizer >/dev/null && [ -x "$CUDA_TESTS" ]; then
    log "compute-sanitizer memcheck over $CUDA_TESTS"
    compute-sanitizer --tool memcheck --error-exitcode 99 --leak-check no "$CUDA_TESTS" \
      >"$RESULTS/memcheck.log" 2>&1
    record memcheck $?
    tail -3 "$RESULTS/memcheck.log" | tee -a "$SUMMARY"
    # racecheck is slow: only the suites whose kernels use shared memory (grep -l
    # __shared__ kernels/cuda/*: attention, depthwise conv, the norms, losses, optimizer,
    # reductions, softmax, squeeze-excite).
    RACE_FILTER="${RACE_FILTER:-AttentionCuda.*:WindowAttentionCuda.*:ConvCuda.*:LayerNormCuda.*}"
    RACE_FILTER+=":BatchNormCuda.*:GroupNormCuda.*:OptimizerCuda.*:CudaReduction.*:SoftmaxCuda.*"
    RACE_FILTER+=":CrossEntropyCuda.*:NllLossCuda.*:FocalLossCuda.*:SqueezeExciteCuda.*"
    log "compute-sanitizer racecheck over $RACE_FILTER"
    compute-sanitizer --tool racecheck --error-exitcode 99 "$CUDA_TESTS" \
      --gtest_filter="$RACE_FILTER" >"$RESULTS/racecheck.log" 2>&1
    record racecheck $?
    tail -3 "$RESULTS/racecheck.log" | tee -a "$SUMMARY"
  else
    log "FAIL compute-sanitizer: not found, or no cuda test executable"
    status=1
  fi
fi

if step bench; then
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
    name="$(basename "$script" .py)"
    log "pytorch $name"
    PYTHONUNBUFFERED=1 python3 "$script" >"$RESULTS/pytorch_$name.txt" 2>&1
    record "pytorch $name" $?
  done
fi

if step models; then
  # Whole models, fovea beside PyTorch + timm (issue 6's `fovea bench` comparison).
  log "models: fovea bench vs PyTorch + timm"
  PYTHONUNBUFFERED=1 python3 "$ROOT/bench/pytorch/bench_models.py" --fovea "$BUILD/fovea" \
    --device cuda --amp bf16 --batch 128 >"$RESULTS/models_vs_pytorch.md" 2>&1
  record "models vs pytorch" $?
  cat "$RESULTS/models_vs_pytorch.md"
fi

log "results in $RESULTS"
if [ -n "${OUT:-}" ]; then
  cp "$SUMMARY" "$OUT/summary.txt"
  tar czf "$OUT/gpu-check-$STAMP.tar.gz" -C "$(dirname "$RESULTS")" "$(basename "$RESULTS")"
fi
exit $status
