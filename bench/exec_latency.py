#!/usr/bin/env python3
"""The cost of a change to `berth exec`: `berth exec C /bin/true` through two
builds of berth, interleaved (a change of the machine's load hits both alike),
each against a detached busybox container of its own. Not a peer benchmark:
it compares a build with an older one (e.g. a worktree of the previous
commit). Prints the medians and the ratio.

    bench/exec_latency.py --build build --baseline /tmp/old/build [--runs 60]
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def setup(build, rootfs):
    d = tempfile.mkdtemp(prefix="berth-exec-bench-")
    env = dict(os.environ, BERTH_MONITOR=os.path.join(build, "libexec", "berth", "berth-monitor"),
               BERTH_NETWORK="none")
    base = [os.path.join(build, "bin", "berth"), "--root", d + "/root", "--run-root", d + "/run"]
    subprocess.run(base + ["run", "-d", "--name", "c", "--rootfs", rootfs, "sleep", "3600"], check=True, env=env,
                   capture_output=True)
    return base, env


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--baseline", required=True, help="the other build directory")
    ap.add_argument("--runs", type=int, default=60)
    a = ap.parse_args()
    rootfs = os.path.join(os.path.abspath(a.build), "test-rootfs")  # made by the test suite
    cfg = {"baseline": setup(os.path.abspath(a.baseline), rootfs), "build": setup(os.path.abspath(a.build), rootfs)}
    times = {k: [] for k in cfg}
    try:
        for i in range(a.runs):
            for k in (("baseline", "build") if i % 2 else ("build", "baseline")):
                base, env = cfg[k]
                t = time.perf_counter()
                subprocess.run(base + ["exec", "c", "/bin/true"], check=True, env=env, stdout=subprocess.DEVNULL)
                times[k].append((time.perf_counter() - t) * 1000)
    finally:
        for base, env in cfg.values():
            subprocess.run(base + ["rm", "-f", "c"], env=env, capture_output=True)
    for k in ("baseline", "build"):
        print("%-8s berth exec c /bin/true: median %.2f ms (%d runs)" % (k, statistics.median(times[k]), a.runs))
    print("build/baseline %.2f" % (statistics.median(times["build"]) / statistics.median(times["baseline"])))


if __name__ == "__main__":
    main()
