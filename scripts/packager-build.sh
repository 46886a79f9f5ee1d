#!/usr/bin/env bash
# A packager's build: Debian's hardening flags (dpkg-buildflags with
# hardening=+all: -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong
# -Werror=format-security, -z relro -z now), the tests compiled too. Builds
# only, into $1 (default build-pkg/); CC (default clang) and BUILD_TYPE
# (default Release) choose the compiler and CMake build type, and any further
# arguments go to cmake (CI adds -DBERTH_WERROR=ON). CI (scripts/test.sh) runs
# it so that a distribution's build keeps compiling; scripts/build-matrix.sh
# runs it for gcc and clang in every build type.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-pkg}
shift || true
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
LDFLAGS="$(dpkg-buildflags --get LDFLAGS)" CC=${CC:-clang} \
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "$@" >/dev/null
cmake --build "$dir" -j"${BERTH_JOBS:-$(nproc)}"
