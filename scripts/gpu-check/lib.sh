#!/usr/bin/env bash
# Sourced by scripts/gpu-check.sh; defines functions and changes nothing by itself.
# The helpers (logging, bounded runs, step records) and the memcheck table checks.

say() { printf '==> [%3d s] %s\n' $((SECONDS - T0)) "$*"; }
sanitize() { printf '%s' "$1" | tr -cs 'A-Za-z0-9._-' '-' | sed 's/^-*//; s/-*$//'; }
trim() {  # trim TEXT: without leading and trailing blanks
  local text="$1"
  text="${text#"${text%%[![:space:]]*}"}"
  printf '%s' "${text%"${text##*[![:space:]]}"}"
}
first_line() { head -n1 | tr -d '\r'; }

STEP_STATUS=() STEP_TIME=() STEP_NOTE=() STEP_LIMIT=()
declare -A STATUS_OF=()
record() {  # record STEP STATUS SECONDS LIMIT NOTE
  STEP_STATUS+=("$1|$2") STEP_TIME+=("$3") STEP_LIMIT+=("$4") STEP_NOTE+=("$5")
  STATUS_OF[$1]="$2"
  say "$2 $1 (${3} s of ${4} s)${5:+: $5}"
}

# bounded LOG CMD...: runs CMD under the current step's time limit, appending to LOG.
# Returns CMD's status, 124 when the limit killed it.
bounded() {
  local log="$1" left
  shift
  left=$((STEP_END - SECONDS))
  [ "$left" -ge 1 ] || return 124
  if [ "$DRY_RUN" = 1 ]; then
    printf '    [dry run, limit %3d s] %s\n' "$left" "$*"
    [ "${DRY_RUN_STEP_SECONDS:-0}" -gt 0 ] && sleep "$DRY_RUN_STEP_SECONDS"
    return 0
  fi
  mkdir -p "$(dirname "$log")"
  timeout --kill-after=10 "$left" "$@" >>"$log" 2>&1
}

# run_step STEP FUNCTION: the deadline and budget bookkeeping around one step. FUNCTION
# returns 0 (PASS), 77 (SKIPPED, NOTE says why), 124 (TIMEOUT), 125 (a part timed out) or
# anything else (FAIL), and may set NOTE.
run_step() {
  local step="$1" fn="$2" left limit start rc status
  left=$((DEADLINE - (SECONDS - T0) - RESERVE))
  if [ "$left" -lt "$MIN_STEP" ]; then
    record "$step" SKIPPED 0 0 "not started: ${left} s left before the ${DEADLINE} s deadline"
    return
  fi
  limit=${BUDGET[$step]}
  [ "$left" -lt "$limit" ] && limit=$left
  STEP_END=$((SECONDS + limit))
  NOTE=""
  say "$step: budget ${BUDGET[$step]} s, limit $limit s, estimate ${ESTIMATE[$step]} s"
  start=$SECONDS
  "$fn"
  rc=$?
  case $rc in
    0) status=PASS ;;
    77) status=SKIPPED ;;
    124 | 137) status=TIMEOUT NOTE="${NOTE:+$NOTE; }killed at its ${limit} s limit" ;;
    125) status=TIMEOUT ;;  # a part of the step ran out of time; NOTE says which
    *) status=FAIL ;;
  esac
  [ "$DRY_RUN" = 1 ] && [ "$status" = PASS ] && status=DRY-RUN
  record "$step" "$status" $((SECONDS - start)) "$limit" "$NOTE"
}

needs_build() {  # the later steps need a successful build (this call's, or an earlier one's)
  if [ -n "${STATUS_OF[build]:-}" ] && [[ "${STATUS_OF[build]}" != @(PASS|DRY-RUN) ]]; then
    NOTE="the build did not pass"
    return 1
  fi
  if [ "$DRY_RUN" != 1 ] && [ ! -f "$BUILD/build.ninja" ] && [ ! -f "$BUILD/Makefile" ]; then
    NOTE="no build in $BUILD (add build to STEPS)"
    return 1
  fi
}

tally() {  # tally STATUS...: "3 PASS, 1 FAIL (exit 2)" and the like
  printf '%s\n' "$@" | sed 's/ (.*//' | sort | uniq -c | awk '{printf "%s%d %s", (NR > 1 ? ", " : ""), $1, $2}'
}

cap_logs() {  # every file over 2 MiB keeps its first and last 900 KiB
  local file size
  while IFS= read -r -d '' file; do
    size=$(stat -c %s "$file")
    [ "$size" -gt $((2 * 1024 * 1024)) ] || continue
    { head -c $((900 * 1024)) "$file"
      printf '\n\n[... gpu-check.sh cut %d bytes here to keep the folder small ...]\n\n' \
        $((size - 1800 * 1024))
      tail -c $((900 * 1024)) "$file"; } >"$file.cut" && mv "$file.cut" "$file"
  done < <(find "$RESULTS" -type f -print0)
}

# ---------------------------------------------------------------- the memcheck table
# Parses MEMCHECK_TABLE into MC_FILES/MC_FILTERS/MC_WHY and checks it against
# kernels/cuda/*.cu: a row per file, no row for a file that is gone.
declare -a MC_FILES=() MC_FILTERS=() MC_WHY=()
TABLE_PROBLEMS=()
parse_memcheck_table() {
  local file filter why source
  declare -A rows=()
  MC_FILES=() MC_FILTERS=() MC_WHY=() TABLE_PROBLEMS=()
  while IFS='|' read -r file filter why; do
    file="$(trim "$file")" filter="$(trim "$filter")" why="$(trim "$why")"
    [ -n "$file" ] || continue
    MC_FILES+=("$file") MC_FILTERS+=("$filter") MC_WHY+=("$why")
    rows[$file]=1
    [ -f "$ROOT/kernels/cuda/$file" ] || TABLE_PROBLEMS+=("row for kernels/cuda/$file, which does not exist")
    if [ "$filter" = - ] && [ -z "$why" ]; then TABLE_PROBLEMS+=("$file: no filter and no reason"); fi
    # The filters are joined with ':' into one run, which a negative pattern would break.
    if [ "$filter" != - ] && [[ "$filter" == *-* ]]; then
      TABLE_PROBLEMS+=("$file: '$filter' has a negative pattern, which cannot be joined with the others")
    fi
  done <<<"$MEMCHECK_TABLE"
  for source in "$ROOT"/kernels/cuda/*.cu; do
    file="$(basename "$source")"
    [ -n "${rows[$file]:-}" ] ||
      TABLE_PROBLEMS+=("kernels/cuda/$file has no row in MEMCHECK_TABLE (scripts/gpu-check.sh): add its gtest filter, or '-' and a reason")
  done
}

# gtest_match NAME FILTER: gtest's filter rules (POSITIVE[-NEGATIVE], ':'-separated, * ?).
gtest_match() {
  local name="$1" filter="$2" positive negative pattern hit=""
  positive="${filter%%-*}"
  negative=""
  [[ "$filter" == *-* ]] && negative="${filter#*-}"
  [ -n "$positive" ] || positive="*"
  IFS=':' read -ra patterns <<<"$positive"
  for pattern in "${patterns[@]}"; do
    # shellcheck disable=SC2053  # the pattern is a glob on purpose
    [[ "$name" == $pattern ]] && hit=1
  done
  [ -n "$hit" ] || return 1
  IFS=':' read -ra patterns <<<"$negative"
  for pattern in "${patterns[@]}"; do
    # shellcheck disable=SC2053
    [[ -n "$pattern" && "$name" == $pattern ]] && return 1
  done
  return 0
}

# The names of the cuda-tier tests: from the executable when it is built (exact), else
# from the TEST(...) lines of tests/cuda/*_cuda.cpp (TEST_P as Prefix/Suite.Name/Param).
ALL_TESTS=()
list_cuda_tests() {  # list_cuda_tests static|built
  if [ "$1" = built ] && [ "$DRY_RUN" != 1 ] && [ -x "$CUDA_TESTS" ]; then
    mapfile -t ALL_TESTS < <("$CUDA_TESTS" --gtest_list_tests 2>/dev/null | awk '
      /^[^ ]/ { suite = $1; next }
      /^  / { print suite $1 }')
    TEST_SOURCE="fovea_cuda_tests --gtest_list_tests"
  else
    mapfile -t ALL_TESTS < <(cat "$ROOT"/tests/cuda/*_cuda.cpp | tr '\n' ' ' |
      grep -oE 'TEST(_F|_P)?\(\s*[A-Za-z0-9_]+\s*,\s*[A-Za-z0-9_]+' | sed -E 's/\s+//g' |
      awk -F'[(,]' '$1 == "TEST_P" { print "P/" $2 "." $3 "/p"; next } { print $2 "." $3 }')
    TEST_SOURCE="the TEST lines of tests/cuda/*_cuda.cpp (static)"
  fi
}

# Checks every filter matches a test; sets MC_COUNT per row and MC_UNION.
declare -a MC_COUNT=()
MC_UNION=""
check_memcheck_filters() {  # check_memcheck_filters static|built
  local i n name
  MC_COUNT=() MC_UNION=""
  list_cuda_tests "$1"
  [ ${#ALL_TESTS[@]} -gt 0 ] || TABLE_PROBLEMS+=("no cuda-tier test found in $TEST_SOURCE")
  for i in "${!MC_FILES[@]}"; do
    MC_COUNT[i]=0
    [ "${MC_FILTERS[i]}" = - ] && continue
    n=0
    for name in "${ALL_TESTS[@]}"; do gtest_match "$name" "${MC_FILTERS[i]}" && n=$((n + 1)); done
    MC_COUNT[i]=$n
    [ "$n" -gt 0 ] || TABLE_PROBLEMS+=("${MC_FILES[i]}: filter '${MC_FILTERS[i]}' matches no test")
    MC_UNION="${MC_UNION:+$MC_UNION:}${MC_FILTERS[i]}"
  done
}
