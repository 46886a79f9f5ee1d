#!/usr/bin/env bash
# Builds the tree from scratch with gcc and clang in Release, Debug and
# RelWithDebInfo, each with Debian's hardening flags and -DBERTH_WERROR=ON
# (scripts/packager-build.sh), into build-matrix/<cc>-<type> (or $1/...), and
# prints each build's wall-clock time. Not part of CI: the six builds take
# about 20 minutes on 2 busy cores (CI builds clang Release only).
# BERTH_JOBS sets the parallel jobs (default: nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
root=${1:-build-matrix}
failed=0
mkdir -p "$root"
for cc in gcc clang; do
  for type in Release Debug RelWithDebInfo; do
    dir="$root/$cc-$type"
    rm -rf "$dir"
    start=$(date +%s)
    if CC=$cc BUILD_TYPE=$type scripts/packager-build.sh "$dir" -DBERTH_WERROR=ON >"$dir.log" 2>&1; then
      status=ok
    else
      status=FAILED; failed=1
    fi
    warnings=$(grep -c 'warning:' "$dir.log" || true)
    printf '%-6s %-15s %-6s %4ss  %s warnings  (log: %s)\n' "$cc" "$type" "$status" \
      $(( $(date +%s) - start )) "$warnings" "$dir.log"
  done
done
exit "$failed"
