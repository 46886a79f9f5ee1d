#!/bin/sh
# Installs the build into a temporary prefix, compiles examples/hello/hello.c
# against it with pkg-config and with find_package(berth), and runs both.
set -eu
src=$1; build=$2
tmp=$(mktemp -d /tmp/berth-install-XXXXXX)
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
test -f "$tmp/prefix/include/berth/berth.h"
pc=$(find "$tmp/prefix" -name berth.pc | head -n1)
[ -n "$pc" ] || { echo "berth.pc not installed"; exit 1; }
export PKG_CONFIG_PATH="$(dirname "$pc")"
libdir=$(pkg-config --variable=libdir berth)
[ -e "$libdir/libberth.so.0" ] || { echo "libberth.so.0 not in $libdir"; exit 1; }

# 1. pkg-config
cc "$src/examples/hello/hello.c" $(pkg-config --cflags --libs berth) -Wl,-rpath,"$libdir" -o "$tmp/hello"
# 2. CMake find_package(berth) -> berth::berth
mkdir -p "$tmp/cm"
cat > "$tmp/cm/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.18)
project(hello_consumer C)
find_package(berth 0.1 REQUIRED)
add_executable(hello2 $src/examples/hello/hello.c)
target_link_libraries(hello2 PRIVATE berth::berth)
set_target_properties(hello2 PROPERTIES BUILD_RPATH "$libdir")
CM
cmake -S "$tmp/cm" -B "$tmp/cm/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cm/build" >/dev/null

# a busybox rootfs and fresh state roots; the installed monitor is found beside the library
rootfs="$tmp/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/dev" "$rootfs/sys" "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/busybox"
ln -s busybox "$rootfs/bin/sh"; ln -s busybox "$rootfs/bin/echo"
export BERTH_ROOT="$tmp/state/root" BERTH_RUN_ROOT="$tmp/state/run"
out=$("$tmp/hello" "$rootfs")
[ "$out" = "hello from a berth container" ] || { echo "hello printed '$out'"; exit 1; }
out=$("$tmp/cm/build/hello2" "$rootfs" /bin/sh -c 'echo pid=$$')
[ "$out" = "pid=1" ] || { echo "hello2 printed '$out'"; exit 1; }
set +e; "$tmp/hello" "$rootfs" /bin/sh -c 'exit 42'; rc=$?; set -e
[ "$rc" = 42 ] || { echo "exit code $rc, want 42"; exit 1; }
left=$(ls "$BERTH_ROOT/containers" | wc -l)
[ "$left" = 0 ] || { echo "$left containers left"; exit 1; }
echo "installed to a prefix; hello built with pkg-config and find_package(berth); both ran"
