#!/usr/bin/env bash
# Installs every Debian package berth's build, tests, demo and benchmarks use.
# Safe to run again: apt-get skips what is already there.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

BUILD="build-essential clang cmake pkg-config abigail-tools libseccomp-dev libcap-dev libjansson-dev \
libnl-3-dev libnl-route-3-dev libnl-nf-3-dev libcurl4-openssl-dev libarchive-dev libssl-dev libisal-dev check"
TEST="busybox-static python3 python3-pytest iproute2 util-linux procps nftables \
docker-registry skopeo umoci apache2-utils python3-cryptography openssl"
# compressors for the ADD tests' archives (tests/python/test_build_add.py)
TEST="$TEST bzip2 xz-utils zstd"
# the Python package installed as users do: pip into a venv, type hints checked
# by mypy (tests/python/test_packaging.py); the packager's build: dpkg-buildflags
TEST="$TEST python3-venv python3-pip python3-setuptools mypy dpkg-dev"
BENCH="runc crun buildah iperf3 socat"
# scripts/fuzz.sh (run by scripts/test.sh): clang's libFuzzer and sanitizer runtimes
FUZZ="libclang-rt-dev"

pkgs="$BUILD $TEST $FUZZ"
[ "${BERTH_DEPS_BENCH:-0}" = 1 ] && pkgs="$pkgs $BENCH"

missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
