#!/bin/sh
# The lists lib/*/*.dl declare the prototypes the generated wrappers call
# through: they must be the libraries' own. scripts/gen-dl.py --protos writes
# a file that includes the real headers and assigns every real function to a
# pointer of the declared type; a mismatch is a compile error.
#   check_prototypes.sh CC OUT.c INCLUDE_DIRS LIST.dl...
set -eu
cc=$1 out=$2 incs=$3
shift 3
here=$(dirname "$0")
python3 "$here/../../scripts/gen-dl.py" --protos "$out" "$@"
flags=""
for d in $(echo "$incs" | tr ';' ' '); do flags="$flags -I$d"; done
# shellcheck disable=SC2086
"$cc" -std=gnu11 -D_GNU_SOURCE -Wall -Werror -Werror=incompatible-pointer-types $flags -c -o "$out.o" "$out"
rm -f "$out.o"
echo "$(grep -c '^[a-z_0-9]*_fn \*const check_' "$out") prototypes match their headers"
