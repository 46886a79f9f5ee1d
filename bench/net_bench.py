#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Published-port benchmark (not in CI; see bench/README.md).

In a private network + mount namespace that plays the host (loopback, an
uplink veth 192.0.2.1/24 to a netns "remote" playing another host), a real
berth container (`berth run -d -p ...`) serves iperf3 and a TCP echo. In one
run, interleaved, each measured --runs times:

  direct        host -> container address (no NAT)
  kernel        host -> 192.0.2.1:published port (nftables DNAT, output chain)
  proxy         host -> 127.0.0.1:published port (berth's splice proxy in the monitor)
  socat         host -> 127.0.0.1:other port -> socat -> container (docker-proxy stand-in)
  remote-direct remote host -> container address (routed)
  remote-kernel remote host -> 192.0.2.1:published port (DNAT in prerouting)

iperf3 throughput (one stream, --seconds each) and TCP request-response
latency (one connection, 64-byte ping-pong, --rtts round trips; median per
run). Then container start time: `berth run --rm` of /bin/true with
`--network none` and with the default bridge and `-p`. Medians and ratios
against direct are printed.

Needs root, iperf3, socat, nft, a C compiler with static libc, and a build
(--build, default ./build) with bin/berth."""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HOST_IP = "192.0.2.1"
REMOTE_IP = "192.0.2.2"
IPERF_PORT, ECHO_PORT = 5201, 7000
PUB_IPERF, PUB_ECHO = 15201, 17000        # published (kernel + proxy)
SOCAT_IPERF, SOCAT_ECHO = 25201, 27000    # socat on 127.0.0.1


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=True, capture_output=True, text=True, **kw).stdout


def pingpong(addr, port, n):
    """Median round trip (µs) of n 64-byte ping-pongs on one connection."""
    s = socket.create_connection((addr, port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    msg = b"x" * 64
    rtts = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        s.sendall(msg)
        got = 0
        while got < 64:
            chunk = s.recv(64 - got)
            if not chunk:
                raise RuntimeError("echo closed")
            got += len(chunk)
        rtts.append((time.perf_counter_ns() - t0) / 1000.0)
    s.close()
    return statistics.median(rtts)


def copy_with_libs(binary, root):
    """binary and the shared libraries ldd names, at the same paths under root."""
    paths = [binary]
    for line in sh(["ldd", binary]).splitlines():
        parts = line.split()
        for p in parts:
            if p.startswith("/"):
                paths.append(p)
                break
    for p in paths:
        dst = root + p
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(os.path.realpath(p), dst)


def make_rootfs(tmp):
    root = os.path.join(tmp, "rootfs")
    for d in ("bin", "proc", "sys", "dev", "tmp", "etc"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    shutil.copy2("/bin/busybox", os.path.join(root, "bin/busybox"))
    for tool in ("sh", "true", "sleep"):
        os.symlink("busybox", os.path.join(root, "bin", tool))
    copy_with_libs(shutil.which("iperf3"), root)
    sh(["cc", "-O2", "-static", "-o", os.path.join(root, "bin/net_echo"), os.path.join(HERE, "net_echo.c")])
    return root


def iperf(argv_prefix, addr, port, seconds):
    out = sh(argv_prefix + ["iperf3", "-c", addr, "-p", str(port), "-t", str(seconds), "-J"], timeout=seconds + 60)
    return json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e9


def wait_tcp(addr, port, prefix=None):
    for _ in range(100):
        try:
            if prefix:
                sh(prefix + [sys.executable, os.path.abspath(__file__), "--probe", addr, str(port)])
            else:
                socket.create_connection((addr, port), timeout=1).close()
            return
        except (OSError, subprocess.CalledProcessError):
            time.sleep(0.1)
    raise RuntimeError("%s:%d never answered" % (addr, port))


def inner(args):
    cli = os.path.join(os.path.abspath(args.build), "bin", "berth")
    if not os.access(cli, os.X_OK):
        sys.exit("no %s: build first (--build DIR)" % cli)
    tmp = tempfile.mkdtemp(prefix="berth-netbench-")
    procs = []
    try:
        sh("mount -t tmpfs tmpfs /run && ip link set lo up")
        sh("ip netns add remote && ip link add up0 type veth peer name eth0 netns remote && "
           "ip addr add %s/24 dev up0 && ip link set up0 up && "
           "ip -n remote link set lo up && ip -n remote addr add %s/24 dev eth0 && ip -n remote link set eth0 up && "
           "ip -n remote route add default via %s" % (HOST_IP, REMOTE_IP, HOST_IP))
        rootfs = make_rootfs(tmp)
        roots = ["--root", os.path.join(tmp, "root"), "--run-root", os.path.join(tmp, "run")]
        env = dict(os.environ)
        env.pop("BERTH_NETWORK", None)
        b = lambda *a, **kw: subprocess.run([cli] + roots + list(a), check=True, capture_output=True, text=True,
                                            env=env, **kw).stdout
        b("run", "-d", "--name", "perf", "-p", "%d:%d" % (PUB_IPERF, IPERF_PORT), "-p", "%d:%d" % (PUB_ECHO, ECHO_PORT),
          "--rootfs", rootfs, "sh", "-c", "iperf3 -s -p %d & exec net_echo %d" % (IPERF_PORT, ECHO_PORT))
        info = json.loads(b("inspect", "perf"))
        info = info[0] if isinstance(info, list) else info
        cip = None
        for text in json.dumps(info).replace('"', " ").split():
            if text.startswith("10.88.") and "/" not in text and not text.endswith(".1"):
                cip = text.rstrip(",")
                break
        if not cip:
            sys.exit("no container address in berth inspect:\n" + json.dumps(info, indent=1))
        for lp, tp in ((SOCAT_IPERF, IPERF_PORT), (SOCAT_ECHO, ECHO_PORT)):
            procs.append(subprocess.Popen(["socat", "TCP-LISTEN:%d,bind=127.0.0.1,fork,reuseaddr" % lp,
                                           "TCP:%s:%d" % (cip, tp)], stderr=subprocess.DEVNULL))
        remote = ["ip", "netns", "exec", "remote"]
        paths = {
            "direct": ([], cip, IPERF_PORT, ECHO_PORT),
            "kernel": ([], HOST_IP, PUB_IPERF, PUB_ECHO),
            "proxy": ([], "127.0.0.1", PUB_IPERF, PUB_ECHO),
            "socat": ([], "127.0.0.1", SOCAT_IPERF, SOCAT_ECHO),
            "remote-direct": (remote, cip, IPERF_PORT, ECHO_PORT),
            "remote-kernel": (remote, HOST_IP, PUB_IPERF, PUB_ECHO),
        }
        if args.paths:
            paths = {k: v for k, v in paths.items() if k in args.paths.split(",") or k in ("direct", "remote-direct")}
        for name, (pre, addr, ip, ep) in paths.items():
            wait_tcp(addr, ep, pre or None)
            wait_tcp(addr, ip, pre or None)
        print("container %s (berth run -d -p %d:%d -p %d:%d), %s runs of %ds iperf3 and %d ping-pongs per path"
              % (cip, PUB_IPERF, IPERF_PORT, PUB_ECHO, ECHO_PORT, args.runs, args.seconds, args.rtts), flush=True)
        gbps = {k: [] for k in paths}
        lat = {k: [] for k in paths}
        for r in range(args.runs):
            for name, (pre, addr, ip, ep) in paths.items():
                gbps[name].append(iperf(pre, addr, ip, args.seconds))
                if pre:
                    out = sh(pre + [sys.executable, os.path.abspath(__file__), "--pingpong", addr, str(ep),
                                    str(args.rtts)])
                    lat[name].append(float(out))
                else:
                    lat[name].append(pingpong(addr, ep, args.rtts))
            print("run %d done" % (r + 1), flush=True)

        # start time: --network none beside bridge + -p
        starts = {"none": [], "bridge -p": []}
        for i in range(args.starts):
            for kind in starts:
                extra = ["--network", "none"] if kind == "none" else ["-p", "18080:80"]
                t0 = time.perf_counter()
                b("run", "--rm", *extra, "--rootfs", rootfs, "true")
                starts[kind].append((time.perf_counter() - t0) * 1000)

        med = {k: statistics.median(v) for k, v in gbps.items()}
        mlat = {k: statistics.median(v) for k, v in lat.items()}
        print()
        print("%-14s %12s %10s %14s %10s" % ("path", "Gbit/s", "vs direct", "RTT µs (med)", "vs direct"))
        for k in paths:
            base = "remote-direct" if k.startswith("remote") else "direct"
            print("%-14s %12.2f %10.2f %14.1f %10.2f" % (k, med[k], med[k] / med[base], mlat[k], mlat[k] / mlat[base]))
        print()
        if "proxy" in med and "socat" in med:
            print("proxy / socat throughput: %.2f, socat RTT / proxy RTT: %.2f"
                  % (med["proxy"] / med["socat"], mlat["socat"] / mlat["proxy"]))
        for kind, v in ((k, v) for k, v in starts.items() if v):
            print("berth run --rm %-10s true: median %.1f ms (min %.1f, %d runs)"
                  % (kind, statistics.median(v), min(v), len(v)))
        print("raw Gbit/s:", json.dumps({k: [round(x, 2) for x in v] for k, v in gbps.items()}))
        print("raw RTT µs:", json.dumps({k: [round(x, 1) for x in v] for k, v in lat.items()}))
    finally:
        for p in procs:
            p.kill()
            p.wait()
        subprocess.run([cli] + roots + ["rm", "-f", "perf"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--rtts", type=int, default=3000)
    ap.add_argument("--starts", type=int, default=10)
    ap.add_argument("--paths", help="comma-separated subset of the paths (direct ones always run)")
    ap.add_argument("--pingpong", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--probe", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.pingpong:
        print(pingpong(args.pingpong[0], int(args.pingpong[1]), int(args.pingpong[2])))
        return
    if args.probe:
        socket.create_connection((args.probe[0], int(args.probe[1])), timeout=1).close()
        return
    if os.environ.get("BERTH_NETBENCH_INNER") != "1":
        os.environ["BERTH_NETBENCH_INNER"] = "1"
        os.execvp("unshare", ["unshare", "--net", "--mount", "--propagation", "private",
                              sys.executable, os.path.abspath(__file__)] + sys.argv[1:])
    inner(args)


if __name__ == "__main__":
    main()
