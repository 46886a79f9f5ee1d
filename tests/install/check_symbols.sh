#!/bin/sh
# The shared library exports only berth_* symbols and has SONAME libberth.so.0.
set -e
lib=$1
soname=$(objdump -p "$lib" | awk '/SONAME/{print $2}')
[ "$soname" = "libberth.so.0" ] || { echo "SONAME is '$soname', want libberth.so.0"; exit 1; }
bad=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^berth_' | grep -v '^BERTH_0' || true)
[ -z "$bad" ] || { echo "exported symbols outside berth_*:"; echo "$bad"; exit 1; }
n=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -c '^berth_')
[ "$n" -gt 20 ] || { echo "only $n berth_ symbols exported"; exit 1; }
internal=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep '^berth__' || true)
[ -z "$internal" ] || { echo "internal symbols exported: $internal"; exit 1; }
echo "SONAME $soname, $n berth_* symbols, nothing else exported"
