#!/usr/bin/env bash
# Sourced by scripts/gpu-check.sh; defines functions and changes nothing by itself.
# One function per step of STEPS (deps, build, tests, memcheck, racecheck, bench,
# pytorch, models); each runs under run_step with its budget.

step_deps() {
  if ! compgen -G "$DEBS/*.deb" >/dev/null; then
    NOTE="no .debs in $DEBS: using this machine's own packages (run scripts/gpu-deps.sh here and carry .debs for the GPU machine)"
    return 77
  fi
  bounded "$RESULTS/logs/deps.log" "$ROOT/scripts/gpu-deps.sh" --unpack "$DEPS_PREFIX" || return $?
  [ -f "$DEBS/MANIFEST" ] && cp "$DEBS/MANIFEST" "$RESULTS/deps-manifest.txt"
  NOTE="$(find "$DEBS" -maxdepth 1 -name '*.deb' | wc -l) Debian packages into $DEPS_PREFIX"
}

BUILD_TARGETS=()
step_build() {
  local rc configure_start generator=() cudnn=()
  if [ "${STATUS_OF[deps]:-}" = FAIL ] || [ "${STATUS_OF[deps]:-}" = TIMEOUT ]; then
    NOTE="the Debian packages were not unpacked (logs/deps.log)"
    return 77
  fi
  BUILD_TARGETS=(fovea_cuda_tests)
  for source in "$ROOT"/bench/cuda/*.cpp; do BUILD_TARGETS+=("$(basename "$source" .cpp)"); done
  [[ " $STEPS " == *" models "* ]] && BUILD_TARGETS+=(fovea_tool)
  command -v ninja >/dev/null && generator=(-G Ninja)
  [ -n "${CUDNN_ROOT:-}" ] && cudnn=(-DCUDNN_ROOT="$CUDNN_ROOT")
  configure_start=$SECONDS
  bounded "$RESULTS/logs/configure.log" cmake -S "$ROOT" -B "$BUILD" "${generator[@]}" \
    -DCMAKE_BUILD_TYPE=Release -DFOVEA_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DFOVEA_BUILD_TESTS=ON -DFOVEA_BUILD_BENCH=ON "${cudnn[@]}"
  rc=$?
  NOTE="configure $((SECONDS - configure_start)) s"
  if [ "$rc" -ne 0 ]; then
    grep -E "CMake Error" -A6 "$RESULTS/logs/configure.log" | head -40
    return "$rc"
  fi
  bounded "$RESULTS/logs/build.log" cmake --build "$BUILD" -j "$JOBS" --target "${BUILD_TARGETS[@]}"
  rc=$?
  NOTE="$NOTE, compile and link $((SECONDS - configure_start)) s in all, -j$JOBS, ${#BUILD_TARGETS[@]} targets"
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then
    grep -E "error|Error" -A3 "$RESULTS/logs/build.log" | head -60
    tail -20 "$RESULTS/logs/build.log"
  fi
  return "$rc"
}

CTEST_LINE="" CTEST_SKIPPED=0
step_tests() {
  local rc log="$RESULTS/logs/ctest-cuda.log"
  needs_build || return 77
  OMP_NUM_THREADS=$(((JOBS + CTEST_J - 1) / CTEST_J)) bounded "$log" \
    ctest --test-dir "$BUILD" -L cuda -j "$CTEST_J" --timeout "$TEST_TIMEOUT" \
    --output-on-failure --no-tests=error --output-junit "$RESULTS/logs/ctest-cuda.xml"
  rc=$?
  [ "$DRY_RUN" = 1 ] && return 0
  CTEST_LINE="$(grep -E "tests passed|tests failed" "$log" | tail -1)"
  CTEST_SKIPPED=$(grep -cE "\*\*\*Skipped|Not Run" "$log" || true)
  NOTE="${CTEST_LINE:-no ctest summary line}; $CTEST_SKIPPED skipped"
  grep -E "\(Failed\)|\(Timeout\)|\*\*\*Failed|\*\*\*Exception" "$log" | head -20
  # Every test skipped means no GPU was seen: that is not a pass.
  if [ "$rc" -eq 0 ] && [[ "$CTEST_LINE" =~ out\ of\ ([0-9]+) ]] && [ "$CTEST_SKIPPED" -ge "${BASH_REMATCH[1]}" ]; then
    NOTE="$NOTE: every test skipped (no GPU visible?)"
    return 1
  fi
  return "$rc"
}

SANITIZER=""
find_sanitizer() {
  SANITIZER="$(command -v compute-sanitizer || true)"
  for candidate in /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
    [ -n "$SANITIZER" ] || { [ -x "$candidate" ] && SANITIZER="$candidate"; }
  done
  [ -n "$SANITIZER" ] || [ "$DRY_RUN" = 1 ]
}

# sanitize_subset TOOL: one process over the union of the table's filters; then the errors
# are counted per test (the tool's "=========" reports fall between gtest's RUN and OK
# lines of the test that launched the kernel) and per kernels/cuda file.
declare -A SAN_ERRORS=() SAN_FAILED=()
step_sanitizer() {
  local tool="$1" rc log="$RESULTS/logs/$1.log" extra=()
  needs_build || return 77
  # Again, now against the built executable's own list.
  parse_memcheck_table
  check_memcheck_filters built
  if [ ${#TABLE_PROBLEMS[@]} -gt 0 ]; then
    printf '    memcheck table: %s\n' "${TABLE_PROBLEMS[@]}"
  fi
  find_sanitizer || { NOTE="compute-sanitizer not found"; return 1; }
  [ -n "$MC_UNION" ] || { NOTE="no filter to run"; return 1; }
  [ "$tool" = memcheck ] && extra=(--leak-check no)
  # --print-limit keeps a flood of one error short; the exit code says whether any occurred.
  bounded "$log" "${SANITIZER:-compute-sanitizer}" --tool "$tool" --error-exitcode 99 \
    --print-limit 100 "${extra[@]}" "$CUDA_TESTS" --gtest_filter="$MC_UNION"
  rc=$?
  [ "$DRY_RUN" = 1 ] && return 0
  if grep -qE "Device not supported|unable to (initialize|attach)" "$log"; then
    NOTE="compute-sanitizer cannot run on this machine's runtime (KINDS.md: gVisor); see logs/$tool.log"
    return 77
  fi
  while IFS='|' read -r name kind count; do
    [ "$kind" = errors ] && SAN_ERRORS[$name]=$count
    [ "$kind" = failed ] && SAN_FAILED[$name]=1
  done < <(awk '
    /^\[ RUN      \] / { test = $4; next }
    /^\[  FAILED  \] / && $4 ~ /\./ && NF <= 6 { print $4 "|failed|1" }
    /^========= (Invalid|Program hit|Race|Error|Uninitialized|Leaked|Barrier|Misaligned|Out-of-range)/ { errors[test]++ }
    END { for (t in errors) print t "|errors|" errors[t] }' "$log")
  local total
  total=$(grep -oE "ERROR SUMMARY: [0-9]+" "$log" | tail -1 | grep -oE "[0-9]+" || echo "?")
  local gtest_line
  gtest_line="$(grep -E "^\[  PASSED  \]|tests? ran" "$log" | tail -2 | paste -sd' ' -)"
  NOTE="$tool error summary: $total; gtest: ${gtest_line:-no summary}"
  [ ${#TABLE_PROBLEMS[@]} -eq 0 ] || { NOTE="$NOTE; TABLE: ${#TABLE_PROBLEMS[@]} problem(s)"; return 1; }
  return "$rc"
}
step_memcheck() { step_sanitizer memcheck; }
step_racecheck() { step_sanitizer racecheck; }

declare -A BENCH_STATUS=() BENCH_TIME=()
step_bench() {
  local source name exe rc left limit start failed=0
  needs_build || return 77
  mkdir -p "$RESULTS/bench"
  for source in "$ROOT"/bench/cuda/*.cpp; do
    name="$(basename "$source" .cpp)"
    exe="$BUILD/bench/$name"
    left=$((STEP_END - SECONDS))
    if [ "$left" -lt 3 ]; then
      BENCH_STATUS[$name]="SKIPPED (step limit)" BENCH_TIME[$name]=0
      [ "$failed" -eq 0 ] && failed=125
      continue
    fi
    if [ "$DRY_RUN" != 1 ] && [ ! -x "$exe" ]; then
      BENCH_STATUS[$name]="FAIL (not built)" BENCH_TIME[$name]=0
      failed=1
      continue
    fi
    limit=$BENCH_EACH
    [ "$left" -lt "$limit" ] && limit=$left
    start=$SECONDS
    STEP_END_SAVED=$STEP_END STEP_END=$((SECONDS + limit))
    bounded "$RESULTS/bench/$name.txt" "$exe" --benchmark_min_time="$BENCH_MIN_TIME" \
      --benchmark_counters_tabular=true --benchmark_out="$RESULTS/bench/$name.json" \
      --benchmark_out_format=json
    rc=$?
    STEP_END=$STEP_END_SAVED
    BENCH_TIME[$name]=$((SECONDS - start))
    case $rc in
      0) BENCH_STATUS[$name]=PASS ;;
      124 | 137) BENCH_STATUS[$name]="TIMEOUT (${limit} s)"
        [ "$failed" -eq 0 ] && failed=125 ;;
      *) BENCH_STATUS[$name]="FAIL (exit $rc)" failed=1 ;;
    esac
  done
  NOTE="$(tally "${BENCH_STATUS[@]}"); BENCH_MIN_TIME=$BENCH_MIN_TIME s"
  return "$failed"
}

declare -A PYTORCH_STATUS=() PYTORCH_TIME=()
PYTHON="${PYTHON:-python3}"
step_pytorch() {
  local script name rc left limit start failed=0 probe
  if [ "$DRY_RUN" != 1 ]; then
    if ! probe="$(env LD_LIBRARY_PATH="$ORIGINAL_LD_LIBRARY_PATH" timeout 60 "$PYTHON" -c \
      'import torch; assert torch.cuda.is_available(), "torch sees no GPU"; print(torch.__version__, torch.version.cuda, torch.cuda.get_device_name())' 2>&1 | tail -1)" ||
      [ -z "$probe" ]; then
      NOTE="no PyTorch with CUDA in $PYTHON ($probe): the side-by-side was not run"
      return 77
    fi
    TORCH_INFO="$probe"
  fi
  mkdir -p "$RESULTS/pytorch"
  for script in "$ROOT"/bench/pytorch/*_cuda.py; do
    name="$(basename "$script" .py)"
    left=$((STEP_END - SECONDS))
    if [ "$left" -lt 3 ]; then
      PYTORCH_STATUS[$name]="SKIPPED (step limit)" PYTORCH_TIME[$name]=0
      [ "$failed" -eq 0 ] && failed=125
      continue
    fi
    limit=$PYTORCH_EACH
    [ "$left" -lt "$limit" ] && limit=$left
    start=$SECONDS
    STEP_END_SAVED=$STEP_END STEP_END=$((SECONDS + limit))
    # The image's own libraries for PyTorch, not the Debian prefix.
    bounded "$RESULTS/pytorch/$name.txt" env LD_LIBRARY_PATH="$ORIGINAL_LD_LIBRARY_PATH" \
      PYTHONUNBUFFERED=1 "$PYTHON" "$script"
    rc=$?
    STEP_END=$STEP_END_SAVED
    PYTORCH_TIME[$name]=$((SECONDS - start))
    case $rc in
      0) PYTORCH_STATUS[$name]=PASS ;;
      124 | 137) PYTORCH_STATUS[$name]="TIMEOUT (${limit} s)"
        [ "$failed" -eq 0 ] && failed=125 ;;
      *) PYTORCH_STATUS[$name]="FAIL (exit $rc)" failed=1 ;;
    esac
  done
  NOTE="$(tally "${PYTORCH_STATUS[@]}")${TORCH_INFO:+; torch $TORCH_INFO}"
  return "$failed"
}

step_models() {
  needs_build || return 77
  # Whole models, fovea beside PyTorch + timm (issue 6's `fovea bench` comparison).
  PYTHONUNBUFFERED=1 bounded "$RESULTS/models_vs_pytorch.md" "$PYTHON" \
    "$ROOT/bench/pytorch/bench_models.py" --fovea "$BUILD/fovea" --device cuda --amp bf16 --batch 128
}
