#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A throwaway local registry for the pull tests.
#   registry_fixture.sh DIR   starts /usr/bin/docker-registry in the background
#                             (storage under DIR/data, config DIR/config.yml,
#                             log DIR/registry.log, http on 127.0.0.1:<free port>,
#                             no auth), waits until /v2/ answers, prints "PORT PID".
# The caller stops it (kill PID) and removes DIR.
set -eu
dir=$1
mkdir -p "$dir/data"
# a free port: bind port 0 and read what the kernel picked
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$dir/config.yml" <<CFG
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:$port
CFG
/usr/bin/docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
pid=$!
i=0
while [ $i -lt 100 ]; do
	if curl -sf -o /dev/null "http://127.0.0.1:$port/v2/"; then
		echo "$port $pid"
		exit 0
	fi
	if ! kill -0 $pid 2>/dev/null; then
		break
	fi
	sleep 0.1
	i=$((i + 1))
done
kill $pid 2>/dev/null || true
echo "registry did not start:" >&2
cat "$dir/registry.log" >&2
exit 1
