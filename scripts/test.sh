#!/usr/bin/env bash
# Sets everything up and runs every test: installs the Debian packages, builds
# (-Wall -Wextra, -Werror through BERTH_WERROR=ON, with the test-only
# fault-injection points and the Python package in the install), runs all
# CTest suites (Check + pytest), then builds again with AddressSanitizer + UBSan
# and runs every Check suite there (the unit suites and the integration ones;
# not the pytest and install tests, whose programs are not built with the
# sanitizers), then compiles a packager's build (Release, clang, Debian's
# hardening flags, -Werror),
# then runs every libFuzzer target for a few seconds (scripts/fuzz.sh).
# Needs root (real namespaces, mounts, cgroups).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
jobs=$(nproc)

# the test build carries the fault-injection points (tests/python/test_fault.py)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_WERROR=ON -DBERTH_FAULT_INJECTION=ON \
  -DBERTH_INSTALL_PYTHON=ON
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j2

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DBERTH_WERROR=ON -DBERTH_SANITIZE=ON
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -E '^(install_hello|python_bindings|python_docs_packaging)$' --output-on-failure -j2

# a packager's build (Release, clang, Debian's hardening flags) must compile
# too, without a warning (gcc and clang in every build type, slower:
# scripts/build-matrix.sh, not run here)
scripts/packager-build.sh build-pkg -DBERTH_WERROR=ON

# --- fuzzing (tests/fuzz; docs/security.md, "Fuzzing") ---------------------
# Every libFuzzer target for BERTH_FUZZ_SECONDS (default 8) under ASan+UBSan on
# its seed corpus, two at a time: 83 s with the fuzz build (clang, build-fuzz/)
# on 2 idle cores, 164 s on a loaded machine.
# Fails on any crash, leak, broken property or slow input.
scripts/fuzz.sh "${BERTH_FUZZ_SECONDS:-8}"
