#!/usr/bin/env bash
# shellcheck disable=SC2317  # the step_* functions are called through run_step
# The GPU machine's checks, in one command that ends inside one device call:
#
#   STEPS=all scripts/gpu-check.sh          # on the GPU machine, with .debs carried
#   DRY_RUN=1 scripts/gpu-check.sh          # anywhere: the plan, budgets, memcheck table check
#   scripts/gpu-check.sh --check-table      # the memcheck table alone (./test.sh runs it)
#
# From a session here (no GPU): scripts/gpu-deps.sh first (downloads .debs/), then
#   run(carry=[".debs"], timeout_s=600, command="STEPS=all scripts/gpu-check.sh")
# The results come back as one archive under $OUT (plus its summary.md); unpack it into
# bench/results/ as it is: tar xzf /work/.device/.../gpu-check-*.tar.gz -C bench/results
#
# Steps (STEPS=all is the first five, in this order; a subset runs in this order too):
#   build     configure (Ninja, Release, FOVEA_CUDA=ON, sm_90) and build only what the
#             later steps run: fovea_cuda_tests, the bench/cuda executables (and the fovea
#             tool when `models` is asked for); not the CPU test tiers
#   tests     ctest -L cuda (parallel, OMP threads split between the test processes)
#   memcheck  compute-sanitizer memcheck over the subset in MEMCHECK_TABLE below: one
#             gtest filter per kernels/cuda/*.cu file (or an explicit reason for none);
#             every .cu file must have a row and every filter must match a test
#   bench     every bench/cuda/*.cpp executable (Google Benchmark, JSON + text)
#   pytorch   every bench/pytorch/*_cuda.py, the PyTorch side of the same kernels, when
#             python3 has torch with CUDA (skipped with a message otherwise)
#   models    (opt-in, not in `all`: it does not fit the 9 minutes) whole models, fovea
#             beside PyTorch + timm; `racecheck` (opt-in) is the same subset under racecheck.
# `sanitizer` is an old name for memcheck. The build folder (build-gpu/) survives between
# calls while the machine stays warm, so a later call can run `STEPS="tests bench"` alone.
#
# Time: a global deadline (DEADLINE=540 s after the start) and a budget per step. A step
# gets min(its budget, what is left before the deadline less RESERVE for the summary and
# archive); a step with under MIN_STEP seconds left is not started and is recorded as
# SKIPPED, and so is every later one. Each command runs under `timeout` (its whole process
# group is killed, 10 s after a TERM it ignores), so the steps end by DEADLINE - RESERVE
# (525 s) and the script by about DEADLINE (540 s, 9 min) however the steps behave, inside
# the device tool's 10-minute command limit (call it with timeout_s=600).
#
# The estimate (the "estimate" column of the plan; nothing big was measured for it):
#   build     The lead's number for this project: the full build (test.sh: libfovea with
#             CUDA, every test tier, every benchmark) takes 20-25 min on the 2-core build
#             machine, i.e. 40-50 core-minutes. This step compiles 201 of the 273
#             translation units of that build (compile_commands.json: it leaves out the
#             69 unit/gradcheck/parity/train test files and the 3 CPU benchmarks), so
#             ~74% of it, 30-37 core-minutes, taking every unit as equally costly. On 16
#             cores at ~70% parallel efficiency (the heaviest .cu files and the serial
#             links form the tail): 30-37 / (16 x 0.7) = 2.7-3.3 min; estimate 200 s with
#             the configure (here ~11-20 s of one core, mostly nvcc's identification),
#             budget 270 s. Assumes the GPU machine's cores are as fast as this machine's
#             and that there is no ccache there (a fresh machine is bare).
#   tests     ~95 gtest cases (tests/cuda/*_cuda.cpp), one process each: CUDA context and
#             cuBLAS/cuDNN handles (~1-2 s a process) plus the CPU reference, the bulk
#             of it EveryFamilyOnCuda's 15 models in f32 and bf16 on the CPU. At 8 in
#             parallel with 2 OpenMP threads each: estimate 60 s, budget 90 s.
#   memcheck  the subset (~75 small tests, one process): memcheck slows kernels 10-100x
#             but these tensors are small, and the CPU references run at full speed:
#             estimate 45 s, budget 75 s.
#   bench     10 executables, ~60 benchmark instances at BENCH_MIN_TIME=0.2 s of GPU time
#             each, plus allocation, host-side input setup and the roofline per process:
#             estimate 50 s, budget 75 s (each executable at most BENCH_EACH=30 s).
#   pytorch   8 scripts: torch import + CUDA init (~3-5 s each) and ~20 timed calls per
#             case: estimate 35 s, budget 45 s (each at most PYTORCH_EACH=30 s).
#   Sum of the estimates with the unpack (~5 s): about 400 s, 6.7 min; the budgets add up
#   to more than the deadline on purpose: the deadline, not the budgets, is the bound.
#   Every number is a budget to replace by the first run's measured times (summary.md
#   lists each step's time beside its budget).
#
# Results: bench/results/gpu-check-<UTC stamp>-<GPU name>/ (RESULTS_ROOT to change the
# parent), laid out as bench/results/README.md says: summary.md (GPU, driver, date,
# commit, per-step status, time and budget, the tables), logs/, bench/, pytorch/. Only text,
# each log capped at 2 MiB, so bench/results/ can take the folder as it is. With $OUT set,
# the folder also lands there as one .tar.gz beside a copy of summary.md.
#
# The GPU machine has CUDA, CMake, ninja and PyTorch but lacks the Debian packages the
# build needs (fmt, Eigen, GoogleTest, Google Benchmark, yaml-cpp, cairo, ...) and has no
# network: scripts/gpu-deps.sh --unpack puts the carried .debs into a prefix (never into /).
# ./test.sh rehearses that unpack and a configure against the prefix alone
# (scripts/prefix-check.sh).
#
# Exit status: 0 every step asked for passed (or was skipped for a reason that is not a
# fault: no torch); 1 a step failed or timed out; 2 none failed but the deadline skipped one.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
T0=$SECONDS
DRY_RUN="${DRY_RUN:-0}"
DEADLINE="${DEADLINE:-540}"
RESERVE="${RESERVE:-15}"
MIN_STEP="${MIN_STEP:-10}"
JOBS="${JOBS:-$(nproc)}"
CTEST_J="${CTEST_J:-8}"
TEST_TIMEOUT="${TEST_TIMEOUT:-120}"
BENCH_MIN_TIME="${BENCH_MIN_TIME:-0.2}"
BENCH_EACH="${BENCH_EACH:-30}"
PYTORCH_EACH="${PYTORCH_EACH:-30}"
BUILD="${FOVEA_BUILD:-$ROOT/build-gpu}"
DEBS="${FOVEA_DEBS:-$ROOT/.debs}"
DEPS_PREFIX="${FOVEA_DEPS_PREFIX:-/tmp/fovea-deps}"
CUDA_TESTS="$BUILD/tests/fovea_cuda_tests"

declare -A BUDGET=([deps]=30 [build]=270 [tests]=90 [memcheck]=75 [racecheck]=120 [bench]=75
  [pytorch]=45 [models]=300)
declare -A ESTIMATE=([deps]=5 [build]=200 [tests]=60 [memcheck]=45 [racecheck]=90 [bench]=50
  [pytorch]=35 [models]=300)
for step in "${!BUDGET[@]}"; do  # BUDGET_build=300 and the like override
  override="BUDGET_$step"
  [ -n "${!override:-}" ] && BUDGET[$step]="${!override}"
done
ORDER=(deps build tests memcheck racecheck bench pytorch models)

# ---------------------------------------------------------------- the memcheck subset
# kernels/cuda/<file>.cu | gtest filter over fovea_cuda_tests | why (a reason instead of a
# filter: "-" in the filter column). The smallest suites that drive each file's kernels;
# left out on purpose: EveryFamilyOnCuda (15 models) and AmpStepCuda, which run the same
# kernels at model scale and would take minutes under memcheck, and the train/ helpers
# (CudaCriterion, CudaEma, CudaMetrics, CudaFactories), which only compose ops covered here.
# What memcheck cannot see: the caching allocator (engine/cuda/allocator.cpp) rounds each
# block up to 512 B (2 MiB past 1 MiB) and hands freed blocks out again, so an overrun is
# reported only past the rounded size, and a read of a stale reused block not at all.
MEMCHECK_TABLE="
attention.cu        | AttentionCuda.*:WindowAttentionCuda.*   | SDPA and Swin window attention
batch_norm.cu       | BatchNormCuda.*                         | statistics, fused ReLU/SiLU
conv.cu             | ConvCuda.*ThroughCudnn                  | cuDNN dense/grouped path, channel bias
copy.cu             | CudaCopy.*                              | casts, strided copies, fill
depthwise_conv.cu   | ConvCuda.Depthwise*                     | depthwise kernels and their dispatch
elementwise.cu      | CudaElementwise.*                       | unary, binary, compare, where
gemm.cu             | MatmulCuda.*                            | cuBLASLt calls and epilogues on our buffers
index_add.cu        | CudaIndexAdd.*                          | sorted segmented sum (CUB radix sort)
index_check.cu      | CudaIndexCheck.*                        | device-side index range check (in range)
group_norm.cu       | GroupNormCuda.*                         |
interpolate.cu      | CudaInterpolate.*                       |
layer_norm.cu       | LayerNormCuda.*                         |
loss.cu             | CrossEntropyCuda.*:NllLossCuda.*:FocalLossCuda.* |
optimizer.cu        | OptimizerCuda.*                         | multi-tensor AdamW/SGD, grad norm
pool.cu             | CudaPool.*                              |
random.cu           | CudaRandom.*:CudaFactory.*              |
reduce.cu           | CudaReduction.*                         |
shape.cu            | CudaShape.*:CudaOneHot.*                | pad/roll/cat, index_select/add, one_hot
softmax.cu          | SoftmaxCuda.*                           |
squeeze_excite.cu   | SqueezeExciteCuda.*                     |
window_partition.cu | WindowPartitionCuda.*                   |
"

# ---------------------------------------------------------------- helpers and steps
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
# shellcheck source=gpu-check/lib.sh
source "$ROOT/scripts/gpu-check/lib.sh"
# shellcheck source=gpu-check/steps.sh
source "$ROOT/scripts/gpu-check/steps.sh"

# ---------------------------------------------------------------- plan
if [ "${1:-}" = --check-table ]; then  # scripts/prefix-check.sh (./test.sh) runs this
  DRY_RUN=1
  parse_memcheck_table
  check_memcheck_filters static
  if [ ${#TABLE_PROBLEMS[@]} -gt 0 ]; then
    printf 'gpu-check.sh: MEMCHECK_TABLE: %s\n' "${TABLE_PROBLEMS[@]}" >&2
    exit 1
  fi
  echo "gpu-check.sh: memcheck table: ${#MC_FILES[@]} kernels/cuda files, every filter matches a test in $TEST_SOURCE"
  exit 0
fi
[ $# -eq 0 ] || { echo "usage: [STEPS=...] [DRY_RUN=1] scripts/gpu-check.sh | scripts/gpu-check.sh --check-table" >&2; exit 1; }
STEPS_ASKED="${STEPS:-all}"
STEPS=" ${STEPS_ASKED//,/ } "
STEPS="${STEPS// all / build tests memcheck bench pytorch }"
STEPS="${STEPS// sanitizer / memcheck }"
for word in $STEPS; do
  [[ " ${ORDER[*]} " == *" $word "* ]] || { echo "gpu-check.sh: unknown step '$word' (steps: all ${ORDER[*]:1})" >&2; exit 1; }
done
STEPS=" deps$STEPS"  # the prefix is unpacked first, whatever the steps

ORIGINAL_LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}"
[ -d /usr/local/cuda/bin ] && [[ ":$PATH:" != *":/usr/local/cuda/bin:"* ]] && PATH="$PATH:/usr/local/cuda/bin"

# The machine, for the folder's name and summary.md.
GPU_CSV=""
command -v nvidia-smi >/dev/null &&
  GPU_CSV="$(timeout 30 nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>/dev/null)"
GPU_NAME="$(trim "$(printf '%s' "$GPU_CSV" | first_line | cut -d, -f1)")"
GPU_COUNT=$(printf '%s' "$GPU_CSV" | grep -c . || true)
GPU_DRIVER="$(trim "$(printf '%s' "$GPU_CSV" | first_line | cut -d, -f2)")"
GPU_MEMORY="$(trim "$(printf '%s' "$GPU_CSV" | first_line | cut -d, -f3)")"
GPU_CC="$(trim "$(printf '%s' "$GPU_CSV" | first_line | cut -d, -f4)")"
FOLDER_GPU="$(sanitize "${GPU_NAME:-no-gpu}")"
[ "${GPU_COUNT:-0}" -gt 1 ] && FOLDER_GPU="${GPU_COUNT}x$FOLDER_GPU"
if [ "$DRY_RUN" = 1 ] && [ -z "${RESULTS_ROOT:-}" ]; then RESULTS_ROOT="$(mktemp -d)"; fi
RESULTS_ROOT="${RESULTS_ROOT:-$ROOT/bench/results}"
RESULTS="$RESULTS_ROOT/gpu-check-$STAMP-$FOLDER_GPU"
mkdir -p "$RESULTS/logs"

echo "fovea gpu-check$([ "$DRY_RUN" = 1 ] && echo ' (DRY RUN: nothing is run)')"
ordered=""
for step in "${ORDER[@]}"; do [[ "$STEPS" == *" $step "* ]] && ordered+="$step "; done
echo "  steps:    $ordered(run in this order)"
echo "  deadline: $DEADLINE s (steps stop by $((DEADLINE - RESERVE)) s; $RESERVE s kept for the summary and archive)"
echo "  results:  $RESULTS"
printf '  %-9s %8s %8s\n' step estimate budget
planned=0
for step in "${ORDER[@]}"; do
  [[ "$STEPS" == *" $step "* ]] || continue
  printf '  %-9s %7d s %7d s\n' "$step" "${ESTIMATE[$step]}" "${BUDGET[$step]}"
  planned=$((planned + ESTIMATE[$step]))
done
echo "  estimated total: $planned s ($((planned / 60)) min $((planned % 60)) s), steps end by $((DEADLINE - RESERVE)) s, the script by about $DEADLINE s"
[ "$planned" -le $((DEADLINE - RESERVE)) ] ||
  echo "  WARNING: the estimate is past the deadline: the last steps will likely be skipped; split them across calls"

parse_memcheck_table
check_memcheck_filters static
echo "  memcheck subset (${#MC_FILES[@]} kernels/cuda files, tests from $TEST_SOURCE):"
for i in "${!MC_FILES[@]}"; do
  printf '    %-20s %3d tests  %s\n' "${MC_FILES[i]}" "${MC_COUNT[i]}" "${MC_FILTERS[i]}"
done
if [ ${#TABLE_PROBLEMS[@]} -gt 0 ]; then
  printf '  MEMCHECK TABLE PROBLEM: %s\n' "${TABLE_PROBLEMS[@]}"
fi

# ---------------------------------------------------------------- run
for step in "${ORDER[@]}"; do
  [[ "$STEPS" == *" $step "* ]] || continue
  run_step "$step" "step_$step"
  if [ "$step" = deps ] && [[ "${STATUS_OF[deps]}" == @(PASS|DRY-RUN) ]]; then
    export CMAKE_PREFIX_PATH="$DEPS_PREFIX/usr${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
    export LD_LIBRARY_PATH="$DEPS_PREFIX/usr/lib/x86_64-linux-gnu:$DEPS_PREFIX/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export FONTCONFIG_PATH="$DEPS_PREFIX/etc/fonts"
  fi
  if [ "$step" = deps ] && [ "$DRY_RUN" != 1 ] && [ -z "${CUDNN_ROOT:-}" ] && ! ldconfig -p 2>/dev/null | grep -q libcudnn.so; then
    # cuDNN: the system's if there is one, else the nvidia-cudnn-cu13 wheel beside PyTorch.
    CUDNN_ROOT="$(LD_LIBRARY_PATH="$ORIGINAL_LD_LIBRARY_PATH" timeout 60 "$PYTHON" -c 'import nvidia.cudnn as m; print(m.__path__[0])' 2>/dev/null || true)"
    if [ -n "$CUDNN_ROOT" ] && [ -d "$CUDNN_ROOT" ]; then
      export CUDNN_ROOT LD_LIBRARY_PATH="$CUDNN_ROOT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
      say "cuDNN from the PyTorch wheel: $CUDNN_ROOT"
    fi
  fi
done

# ---------------------------------------------------------------- summary.md
commit="$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
[ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] && commit="$commit (with uncommitted changes)"
branch="$(git -C "$ROOT" rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)"
version_of() {
  local line
  line="$("$@" 2>/dev/null | grep -m1 -E '[0-9]+\.[0-9]+')"
  trim "${line:-not found}"
}
{
  echo "# gpu-check $STAMP on ${GPU_NAME:-no GPU}$([ "$DRY_RUN" = 1 ] && echo ' (DRY RUN)')"
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| GPU | ${GPU_NAME:-none seen by nvidia-smi}$([ "${GPU_COUNT:-0}" -gt 1 ] && echo " (x$GPU_COUNT)"), ${GPU_MEMORY:-?}, compute capability ${GPU_CC:-?} |"
  echo "| driver | ${GPU_DRIVER:-?} |"
  echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC') (started $STAMP) |"
  echo "| commit | $commit on $branch |"
  echo "| host | $(nproc) cores, $(trim "$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2)"), $(uname -r) |"
  echo "| nvcc | $(version_of nvcc --version | sed 's/.*release //') |"
  echo "| cmake / c++ | $(version_of cmake --version) / $(version_of c++ --version) |"
  echo "| compute-sanitizer | ${SANITIZER:-not looked up} |"
  echo "| PyTorch | ${TORCH_INFO:-not used} |"
  echo "| Debian packages | $([ -f "$RESULTS/deps-manifest.txt" ] && echo "$(wc -l <"$RESULTS/deps-manifest.txt") (deps-manifest.txt)" || echo none) |"
  echo "| steps asked | STEPS=$STEPS_ASKED |"
  echo "| total time | $((SECONDS - T0)) s; deadline $DEADLINE s, estimate $planned s |"
  echo
  echo "## Steps"
  echo
  echo "| step | status | time (s) | limit (s) | budget (s) | estimate (s) | notes |"
  echo "|---|---|---:|---:|---:|---:|---|"
  for i in "${!STEP_STATUS[@]}"; do
    step="${STEP_STATUS[i]%%|*}"
    echo "| $step | ${STEP_STATUS[i]#*|} | ${STEP_TIME[i]} | ${STEP_LIMIT[i]} | ${BUDGET[$step]} | ${ESTIMATE[$step]} | ${STEP_NOTE[i]//|/\\|} |"
  done
  if [ -n "${STATUS_OF[memcheck]:-}${STATUS_OF[racecheck]:-}" ]; then
    echo
    echo "## compute-sanitizer subset (one filter per kernels/cuda file)"
    echo
    echo "Tests listed from $TEST_SOURCE; errors counted per test from the sanitizer's log."
    echo
    echo "| file | filter | tests | sanitizer errors | failed tests | why |"
    echo "|---|---|---:|---:|---:|---|"
    ran_sanitizer=""
    [[ "${STATUS_OF[memcheck]:-}${STATUS_OF[racecheck]:-}" == *@(PASS|FAIL|TIMEOUT)* ]] && ran_sanitizer=1
    for i in "${!MC_FILES[@]}"; do
      errors=0 failed=0
      [ -n "$ran_sanitizer" ] || errors=- failed=-
      [ -n "$ran_sanitizer" ] && for name in "${!SAN_ERRORS[@]}"; do
        gtest_match "$name" "${MC_FILTERS[i]}" && errors=$((errors + SAN_ERRORS[$name]))
      done
      [ -n "$ran_sanitizer" ] && for name in "${!SAN_FAILED[@]}"; do gtest_match "$name" "${MC_FILTERS[i]}" && failed=$((failed + 1)); done
      echo "| ${MC_FILES[i]} | \`${MC_FILTERS[i]}\` | ${MC_COUNT[i]} | $errors | $failed | ${MC_WHY[i]} |"
    done
    for problem in "${TABLE_PROBLEMS[@]}"; do echo "- TABLE PROBLEM: $problem"; done
  fi
  if [ ${#BENCH_STATUS[@]} -gt 0 ]; then
    echo
    echo "## Kernel benchmarks (bench/cuda), outputs in bench/"
    echo
    echo "| executable | status | time (s) |"
    echo "|---|---|---:|"
    for name in $(printf '%s\n' "${!BENCH_STATUS[@]}" | sort); do
      echo "| $name | ${BENCH_STATUS[$name]} | ${BENCH_TIME[$name]} |"
    done
  fi
  if [ ${#PYTORCH_STATUS[@]} -gt 0 ]; then
    echo
    echo "## PyTorch side by side (bench/pytorch/*_cuda.py), outputs in pytorch/"
    echo
    echo "| script | status | time (s) |"
    echo "|---|---|---:|"
    for name in $(printf '%s\n' "${!PYTORCH_STATUS[@]}" | sort); do
      echo "| $name | ${PYTORCH_STATUS[$name]} | ${PYTORCH_TIME[$name]} |"
    done
  fi
  echo
  echo "## Rerun"
  echo
  echo "Skipped or timed-out steps can be run alone in a later call while the machine is warm"
  echo "(build-gpu/ survives), e.g. \`STEPS=\"tests memcheck\" scripts/gpu-check.sh\`; budgets"
  echo "are set with BUDGET_<step>=seconds and the deadline with DEADLINE=seconds."
} >"$RESULTS/summary.md"
[ -n "$GPU_CSV" ] && timeout 30 nvidia-smi -q >"$RESULTS/logs/nvidia-smi.txt" 2>&1
cap_logs

exit_status=0
for entry in "${STEP_STATUS[@]}"; do
  case "${entry#*|}" in
    FAIL | TIMEOUT) exit_status=1 ;;
  esac
done
if [ $exit_status -eq 0 ]; then
  for i in "${!STEP_STATUS[@]}"; do
    [[ "${STEP_STATUS[i]}" == *"|SKIPPED" && "${STEP_NOTE[i]}" == "not started:"* ]] && exit_status=2
  done
fi
[ ${#TABLE_PROBLEMS[@]} -eq 0 ] || exit_status=1

if [ -n "${OUT:-}" ] && [ -d "${OUT:-}" ]; then
  archive="$OUT/$(basename "$RESULTS").tar.gz"
  tar czf "$archive" -C "$(dirname "$RESULTS")" "$(basename "$RESULTS")"
  cp "$RESULTS/summary.md" "$OUT/summary.md"
  say "archive: $archive ($(du -h "$archive" | cut -f1))"
fi
echo
cat "$RESULTS/summary.md"
echo
say "results in $RESULTS (exit $exit_status)"
exit $exit_status
