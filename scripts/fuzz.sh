#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang + ASan + UBSan, in
# build-fuzz/) and runs each for SECONDS (default 60) on its seed corpus
# (tests/fuzz/corpus/<name>). Inputs the fuzzer finds go to a scratch dir,
# never into the repo. Fails if any target crashes, leaks, breaks a property
# or times out on an input; the input is then kept in build-fuzz/artifacts/.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (TARGET: reference, layer, ...)
# Environment: BERTH_FUZZ_JOBS (build jobs, default nproc),
# BERTH_FUZZ_PARALLEL (targets run at once, default nproc), BERTH_FUZZ_NICE
# (niceness of the runs, default 0), BERTH_FUZZ_KEEP=1 (keep the scratch dir).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
case $secs in '' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a number, not '$secs'" >&2; exit 2 ;; esac

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in tests/fuzz/fuzz_*.c; do
    n=${f#tests/fuzz/fuzz_}; n=${n%.c}
    [ "$n" = common ] || targets+=("$n")
  done
fi
for t in "${targets[@]}"; do
  [ -f "tests/fuzz/fuzz_$t.c" ] || { echo "fuzz.sh: no target '$t' (tests/fuzz/fuzz_$t.c)" >&2; exit 2; }
done

start=$(date +%s)
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DBERTH_FUZZ=ON -DBERTH_TESTS=OFF -DBERTH_WERROR=ON \
  -DCMAKE_BUILD_TYPE=None >/dev/null
cmake --build build-fuzz --target fuzz -j"${BERTH_FUZZ_JOBS:-$(nproc)}" >/dev/null
echo "fuzz build: $(($(date +%s) - start)) s"

# Scratch on tmpfs when there is one: the tar targets make and remove a store
# per input, which is many times faster there than on ext4.
base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
scratch=$(mktemp -d "$base/berth-fuzz.XXXXXX")
[ "${BERTH_FUZZ_KEEP:-0}" = 1 ] || trap 'rm -rf "$scratch"' EXIT

max_len() {
  case $1 in
    layer | archive) echo 32768 ;;
    spec | manifest | dockerfile) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

# One target: its result line into $scratch/<t>.result, details after it.
run_target() {
  local t=$1 rc=0 execs kind result
  mkdir -p "$scratch/corpus/$t" "$scratch/tmp/$t" "$scratch/art/$t"
  local args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$t")"
              -artifact_prefix="$scratch/art/$t/" -print_final_stats=1)
  [ -f "tests/fuzz/$t.dict" ] && args+=(-dict="tests/fuzz/$t.dict")
  local log=$scratch/$t.log
  TMPDIR=$scratch/tmp/$t BERTH_FUZZ_WRITABLE=$scratch nice -n "${BERTH_FUZZ_NICE:-0}" "build-fuzz/fuzz/fuzz_$t" "${args[@]}" \
    "$scratch/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  if [ "$rc" -eq 0 ]; then
    result=ok
  else
    kind=$(grep -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-z-]+( [a-z-]+)?|runtime error|property broken' \
      "$log" | head -1)
    mkdir -p build-fuzz/artifacts
    cp "$scratch/art/$t/"* build-fuzz/artifacts/ 2>/dev/null || true
    cp "$log" "build-fuzz/artifacts/$t.log"
    result="FAILED (${kind:-exit $rc}): build-fuzz/artifacts/$t.log"
  fi
  {
    printf '%-16s %12s  %s\n' "$t" "${execs:-?}" "$result"
    [ "$rc" -eq 0 ] || grep -E 'ERROR|runtime error|property broken|SUMMARY|#[0-9]+ 0x' "$log" | head -20 | sed 's/^/    /'
  } >"$scratch/$t.result"
}

# BERTH_FUZZ_PARALLEL targets at once (default: the number of CPUs).
par=${BERTH_FUZZ_PARALLEL:-$(nproc)}
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$par" ]; do wait -n || true; done
  run_target "$t" &
done
wait
failed=0
printf '%-16s %12s  %s\n' TARGET EXECS RESULT
for t in "${targets[@]}"; do
  cat "$scratch/$t.result"
  grep -q '  ok$' "$scratch/$t.result" || failed=1
done
echo "fuzz: $(($(date +%s) - start)) s in all"
exit $failed
