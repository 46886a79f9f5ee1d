#!/usr/bin/env bash
# A packager's build: Release, clang, Debian's hardening flags (dpkg-buildflags
# with hardening=+all), the tests compiled too. Builds only (into
# build-pkg/ or $1); CI runs it so that a distribution's build keeps compiling.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-pkg}
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
LDFLAGS="$(dpkg-buildflags --get LDFLAGS)" CC=clang \
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$dir" -j"$(nproc)"
