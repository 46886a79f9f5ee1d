#!/usr/bin/env bash
# Sets everything up and runs the demo: builds berth, builds the demo image
# from examples/demo/Dockerfile (FROM scratch, a static busybox and a web
# page), runs busybox httpd from it detached with -p 8080:80, fetches the
# page through the published port (the kernel's DNAT path from the host's
# address, and the monitor's loopback proxy on 127.0.0.1), prints it, and
# cleans up.
#
# The demo runs in a private network namespace that plays the host (with
# its own loopback and a veth address 192.0.2.1), so it leaves the machine's
# interfaces, routes and firewall untouched: berth's bridge, veth and
# nftables table live and die with that namespace. BERTH_DEMO_HOST_NETWORK=1
# runs it on the machine's own network instead (berth then creates the
# berth0 bridge and the `berth` nftables table there, as docker does with
# docker0, and they stay after the demo).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--inside" ]; then
  scripts/deps.sh
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$(nproc)" >/dev/null
  if [ "${BERTH_DEMO_HOST_NETWORK:-0}" = 1 ]; then
    exec "$0" --inside
  fi
  # a private network and mount namespace playing the host
  exec unshare --net --mount --propagation private "$0" --inside --netns
fi

berth=${BERTH_BUILD_DIR:-build}/bin/berth
host_addr=127.0.0.1
if [ "${2:-}" = "--netns" ]; then
  ip link set lo up
  # a non-loopback host address (a veth pair: this machine has no dummy links)
  ip link add berth-demo-h type veth peer name berth-demo-p
  ip addr add 192.0.2.1/24 dev berth-demo-h
  ip link set berth-demo-p up
  ip link set berth-demo-h up
  host_addr=192.0.2.1
fi

# berth's nftables lock file lives in /run (shared with the machine even in
# the demo's namespaces): remove it afterwards unless it was there before
nat_lock=/run/berth-nat.lock
had_lock=0; [ -e "$nat_lock" ] && had_lock=1
tmp=$(mktemp -d /tmp/berth-demo-XXXXXX)
export BERTH_ROOT="$tmp/root" BERTH_RUN_ROOT="$tmp/run"
name=berth-demo-$$
cleanup() {
  "$berth" rm -f "$name" >/dev/null 2>&1 || true
  "$berth" rmi berth-demo >/dev/null 2>&1 || true
  rm -rf "$tmp"
  if [ "$had_lock" = 0 ]; then rm -f "$nat_lock"; fi
}
trap cleanup EXIT

# the build context: examples/demo plus a static busybox
ctx="$tmp/context"
cp -r examples/demo "$ctx"
cp /bin/busybox "$ctx/busybox"
echo "+ berth build -t berth-demo examples/demo"
"$berth" build -t berth-demo "$ctx"
"$berth" images

echo "+ berth run -d --name $name -p 8080:80 berth-demo"
"$berth" run -d --name "$name" -p 8080:80 berth-demo >/dev/null
"$berth" ps
echo "+ berth port $name"
"$berth" port "$name"

fetch() {
  local url=$1 page=
  for _ in $(seq 50); do
    if page=$(busybox wget -qO- "$url" 2>/dev/null); then
      echo "$page"
      return 0
    fi
    sleep 0.1
  done
  echo "demo: no answer from $url" >&2
  return 1
}
echo "+ wget -qO- http://$host_addr:8080/"
page=$(fetch "http://$host_addr:8080/")
echo "$page"
case $page in *"Hello from a berth container"*) ;; *) echo "demo: unexpected page" >&2; exit 1 ;; esac
if [ "$host_addr" != 127.0.0.1 ]; then
  echo "+ wget -qO- http://127.0.0.1:8080/   (the monitor's loopback proxy)"
  page2=$(fetch "http://127.0.0.1:8080/")
  [ "$page2" = "$page" ]
  echo "(the same page)"
fi

echo "+ berth stop $name && berth rm $name && berth rmi berth-demo"
"$berth" stop -t 1 "$name" >/dev/null
"$berth" rm "$name" >/dev/null
"$berth" rmi berth-demo >/dev/null
echo "demo ok"
