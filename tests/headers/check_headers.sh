#!/bin/sh
# Compiles every public header on its own, as C11 and as C99, pedantic.
set -e
cc=$1; inc=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0
for h in "$inc"/berth/*.h; do
  for std in c99 c11; do
    printf '#include <berth/%s>\nint main(void){return 0;}\n' "$(basename "$h")" > "$tmp/t.c"
    "$cc" -std=$std -Wall -Wextra -pedantic -Werror -I"$inc" -c "$tmp/t.c" -o "$tmp/t.o" || { echo "FAIL: $h ($std)"; exit 1; }
  done
  n=$((n+1))
done
[ "$n" -gt 0 ] || { echo "no headers found in $inc"; exit 1; }
echo "$n headers compile standalone"
