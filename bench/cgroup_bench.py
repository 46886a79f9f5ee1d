#!/usr/bin/env python3
"""The cost of cgroups in container start, and `berth stats` over many containers.

  1. run latency of /bin/true without and with limits (--memory 64m --cpus 0.5
     --pids-limit 64), through `berth run --rm`, beside `runc run` with the
     same limits in its config.json (runc makes v1 cgroups under berth-bench/).
  2. `berth stats --no-stream` over N running containers, beside reading the
     same cgroup files by hand from Python (the floor).

    bench/cgroup_bench.py [--runs 50] [--containers 100] [--build DIR]
"""
import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from start_latency import make_rootfs, timeit  # noqa: E402

LIMITS = ["--memory", "64m", "--cpus", "0.5", "--pids-limit", "64"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--containers", type=int, default=100)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    cli = os.path.join(build, "bin", "berth")
    tmp = tempfile.mkdtemp(prefix="berth-cgbench-")
    env = dict(os.environ, BERTH_ROOT=os.path.join(tmp, "root"), BERTH_RUN_ROOT=os.path.join(tmp, "run"),
               BERTH_NETWORK="none")  # as runc/crun here: no network setup, never the host's
    ids = []
    try:
        bundle = os.path.join(tmp, "bundle")
        rootfs = os.path.join(bundle, "rootfs")
        make_rootfs(rootfs)
        for a_ in ("sleep",):
            os.symlink("busybox", os.path.join(rootfs, "bin", a_))
        sys.path.insert(0, os.path.join(HERE, "..", "bindings", "python"))
        os.environ.setdefault("BERTH_LIBRARY", os.path.join(build, "lib", "libberth.so.0"))
        import berth
        spec = berth.Spec()
        spec.set_args(["/bin/true"])
        spec.set_rootfs("rootfs")
        cfg = json.loads(spec.to_json())
        cfg["ociVersion"] = "1.0.2"
        cfg["linux"]["cgroupsPath"] = "/berth-bench/run"
        cfg["linux"]["resources"] = {"memory": {"limit": 64 << 20}, "cpu": {"quota": 50000, "period": 100000},
                                     "pids": {"limit": 64}}
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(cfg, f)
        res = {}
        res["berth run --rm, no limits"] = timeit(lambda i: [cli, "run", "--rm", "--rootfs", rootfs, "/bin/true"],
                                                  a.runs, env)
        res["berth run --rm, with limits"] = timeit(
            lambda i: [cli, "run", "--rm"] + LIMITS + ["--rootfs", rootfs, "/bin/true"], a.runs, env)
        if shutil.which("runc"):
            res["runc run, same limits"] = timeit(lambda i: ["runc", "--root", os.path.join(tmp, "runc"), "run",
                                                             "--bundle", bundle, "b%d" % i], a.runs)
        print("1. start latency of /bin/true, %d runs, median" % a.runs)
        med = {k: statistics.median(v) for k, v in res.items()}
        for k, v in med.items():
            print("   %-32s %8.2f ms" % (k, v))
        if "runc run, same limits" in med:
            print("   berth with limits / runc          %6.2f" % (med["berth run --rm, with limits"] /
                                                                  med["runc run, same limits"]))

        # 2. stats over N running containers
        for i in range(a.containers):
            r = subprocess.run([cli, "run", "-d", "--memory", "64m", "--rootfs", rootfs, "sleep", "600"], env=env,
                               capture_output=True, text=True)
            if r.returncode:
                sys.exit("run -d failed: " + r.stderr)
            ids.append(r.stdout.strip())
        t_stats = []
        for _ in range(5):
            t0 = time.perf_counter()
            r = subprocess.run([cli, "stats", "--no-stream", "--format", "json"], env=env, capture_output=True,
                               text=True)
            t_stats.append((time.perf_counter() - t0) * 1000)
            if r.returncode:
                sys.exit("stats failed: " + r.stderr)
        files = ["memory/berth/%s/memory.usage_in_bytes", "memory/berth/%s/memory.limit_in_bytes",
                 "cpuacct/berth/%s/cpuacct.usage", "pids/berth/%s/pids.current",
                 "blkio/berth/%s/blkio.throttle.io_service_bytes"]
        t_floor = []
        for _ in range(5):
            t0 = time.perf_counter()
            for cid in ids:
                for f in files:
                    with open("/sys/fs/cgroup/" + (f % cid)) as fh:
                        fh.read()
            t_floor.append((time.perf_counter() - t0) * 1000)
        print("2. stats over %d running containers, median of 5" % a.containers)
        print("   berth stats --no-stream          %8.1f ms (includes its ~0.5 s CPU%% sampling interval)"
              % statistics.median(t_stats))
        print("   reading the same files by hand   %8.1f ms" % statistics.median(t_floor))
    finally:
        if ids:
            subprocess.run([cli, "rm", "-f"] + ids, env=env, capture_output=True)
        subprocess.run("rmdir /sys/fs/cgroup/*/berth-bench/run /sys/fs/cgroup/*/berth-bench 2>/dev/null", shell=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
