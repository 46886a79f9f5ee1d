#!/usr/bin/env python3
"""Start latency: /bin/true from the same busybox rootfs with default isolation
(pid, mount, uts, ipc, net namespaces; pivot_root; default mounts, caps and
seccomp), sequentially, through `berth run --rm`, through the C API, through
`runc run` and `crun run` on the same bundle, in one run. Prints medians and ratios.

    sudo bench/start_latency.py [--runs N] [--build DIR] [--baseline DIR]

With --baseline (another build directory, e.g. of the previous commit in a
worktree), that build's CLI and C API loop run interleaved with this one's,
each with a state root of its own, and the ratios build/baseline are printed:
the before/after figure of a change, under the same load.

crun refuses this host's hybrid cgroups: it runs in a private mount namespace
with cgroup2 mounted on /sys/fs/cgroup and --cgroup-manager=disabled. runc
creates (v1) cgroups under /sys/fs/cgroup/*/berth-bench/. berth (this
issue) creates no cgroup yet, so runc does more work than berth here.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def make_rootfs(path):
    for d in ("bin", "proc", "sys", "dev", "tmp", "etc"):
        os.makedirs(os.path.join(path, d), exist_ok=True)
    shutil.copy2("/bin/busybox", os.path.join(path, "bin", "busybox"))
    for a in ("sh", "true"):
        os.symlink("busybox", os.path.join(path, "bin", a))


def timeit(cmd, runs, env=None, pre=None):
    out = []
    for i in range(runs):
        if pre:
            pre(i)
        t0 = time.perf_counter()
        r = subprocess.run(cmd(i), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        dt = time.perf_counter() - t0
        if r.returncode != 0:
            sys.exit("failed: %s\n%s" % (" ".join(cmd(i)), r.stderr.decode()))
        out.append(dt * 1000)
    return out


def crun_inner(tmp, bundle, runs):
    subprocess.run(["mount", "-t", "cgroup2", "none", "/sys/fs/cgroup"], check=True)
    for t in timeit(lambda i: ["crun", "--root", os.path.join(tmp, "crun"), "--cgroup-manager=disabled", "run",
                               "--bundle", bundle, "c%d" % i], runs):
        print(t)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--crun-inner":
        return crun_inner(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--no-peers", action="store_true", help="berth only (no runc, no crun)")
    ap.add_argument("--baseline", help="another build directory, timed interleaved with --build")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    berth_cli = os.path.join(build, "bin", "berth")
    api = os.path.join(build, "bin", "berth-bench-start")
    tmp = tempfile.mkdtemp(prefix="berth-bench-")
    runtmp = None
    try:
        bundle = os.path.join(tmp, "bundle")
        rootfs = os.path.join(bundle, "rootfs")
        make_rootfs(rootfs)
        # The same config for runc and crun: berth's own default spec (Docker's defaults).
        sys.path.insert(0, os.path.join(HERE, "..", "bindings", "python"))
        os.environ.setdefault("BERTH_LIBRARY", os.path.join(build, "lib", "libberth.so.0"))
        import berth
        spec = berth.Spec()
        spec.set_args(["/bin/true"])
        spec.set_rootfs("rootfs")
        cfg = json.loads(spec.to_json())
        cfg["linux"]["cgroupsPath"] = "/berth-bench/run"
        cfg["ociVersion"] = "1.0.2"  # what Debian 12 runc 1.1 and crun 1.8 accept
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(cfg, f)
        # Runtime state on tmpfs for both, as their defaults are (/run/berth,
        # /run/runc); berth's persistent root (config.json) on disk.
        runtmp = tempfile.mkdtemp(prefix="berth-bench-", dir="/run")
        env = dict(os.environ, BERTH_ROOT=os.path.join(tmp, "root"), BERTH_RUN_ROOT=os.path.join(runtmp, "berth"),
                   BERTH_NETWORK="none")  # as runc/crun here: no network setup, never the host's
        results = {"berth run --rm (CLI)": [], "berth C API loop": []}
        tools = [("berth run --rm (CLI)", lambda i: [berth_cli, "run", "--rm", "--rootfs", rootfs, "/bin/true"], env)]
        apis = [("berth C API loop", api, env)]
        if a.baseline:
            base = os.path.abspath(a.baseline)
            benv = dict(env, BERTH_ROOT=os.path.join(tmp, "root-baseline"),
                        BERTH_RUN_ROOT=os.path.join(runtmp, "berth-baseline"))
            bcli = os.path.join(base, "bin", "berth")
            results["baseline: berth run --rm (CLI)"] = []
            results["baseline: berth C API loop"] = []
            tools.append(("baseline: berth run --rm (CLI)",
                          lambda i: [bcli, "run", "--rm", "--rootfs", rootfs, "/bin/true"], benv))
            apis.append(("baseline: berth C API loop", os.path.join(base, "bin", "berth-bench-start"), benv))
        if shutil.which("runc") and not a.no_peers:
            results["runc run"] = []
            tools.append(("runc run", lambda i: ["runc", "--root", os.path.join(runtmp, "runc"), "run", "--bundle",
                                                  bundle, "bench%d" % i], None))
        # interleaved in rounds of ten, so that a change of the machine's load
        # hits every tool alike
        done = 0
        while done < a.runs:
            n = min(10, a.runs - done)
            for name, cmd, e in tools:
                results[name] += timeit(lambda i, cmd=cmd: cmd(done + i), n, e)
            for name, prog, e in apis:
                r = subprocess.run([prog, rootfs, str(n)], env=e, capture_output=True, text=True)
                if r.returncode:
                    sys.exit("api bench failed: " + r.stderr)
                results[name] += [float(x) / 1000 for x in r.stdout.split()]
            done += n
        if shutil.which("crun") and not a.no_peers:
            # in a private mount namespace with cgroup2 on /sys/fs/cgroup, timed by the same loop
            r = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable, os.path.abspath(__file__),
                                "--crun-inner", tmp, bundle, str(a.runs)], capture_output=True, text=True)
            if r.returncode:
                sys.exit("crun failed: " + r.stderr)
            results["crun run (cgroup2 ns, manager=disabled)"] = [float(x) for x in r.stdout.split()]
        print("start latency of /bin/true, %d sequential runs, median per container" % a.runs)
        med = {k: statistics.median(v) for k, v in results.items()}
        cli = med["berth run --rm (CLI)"]
        for k, v in med.items():
            print("  %-42s %8.2f ms" % (k, v))
        if a.baseline:
            for k in ("berth run --rm (CLI)", "berth C API loop"):
                print("  %-42s %8.3f  (build / baseline)" % (k, med[k] / med["baseline: " + k]))
        for peer in ("crun run (cgroup2 ns, manager=disabled)", "runc run"):
            if peer in med:
                print("  berth CLI / %-30s %6.2f  (target <= %s)" % (peer.split(" (")[0], cli / med[peer],
                                                                    "0.5" if "crun" in peer else "0.167"))
    finally:
        subprocess.run(["sh", "-c", "rmdir /sys/fs/cgroup/*/berth-bench/run /sys/fs/cgroup/*/berth-bench 2>/dev/null"])
        shutil.rmtree(tmp, ignore_errors=True)
        if runtmp:
            shutil.rmtree(runtmp, ignore_errors=True)


if __name__ == "__main__":
    main()
