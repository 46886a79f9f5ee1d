#!/usr/bin/env python3
"""Log throughput: a detached container writing as fast as it can, through its
monitor into the rotated log (the default 10 MiB x 5 files), beside the same
writer with its output to /dev/null inside the container. Two writers: dd of
64 KiB blocks of zeros (no newlines: records of 16 KiB), and `yes` (2-byte
lines: one record per line, the worst case for per-record overhead).
Prints MB/s (wall time of the writer, measured inside the container) and the
monitor's CPU seconds (utime+stime from /proc/<monitor>/stat, sampled after the
writer is done and before the container exits) per MB logged.

    sudo bench/log_bench.py [--mb 512] [--runs 3] [--build DIR]
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
sys.path.insert(0, HERE)
from start_latency import make_rootfs  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def monitor_cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def one(cli, env, rootfs, run_root, writer, sink):
    """Runs writer (a shell pipeline producing bytes) into sink ("" = the log,
    or "> /dev/null"); returns (MB, seconds, monitor CPU seconds)."""
    try:
        os.remove(os.path.join(rootfs, "tmp", "t"))  # the rootfs directory is shared: no stale timing
    except FileNotFoundError:
        pass
    # /proc/uptime: 10 ms resolution, enough for runs of seconds (busybox date has no %N)
    script = ("read s _ < /proc/uptime; %s %s; read e _ < /proc/uptime; echo \"$s $e\" > /tmp/t; sleep 0.5"
              % (writer, sink))
    cid = subprocess.run([cli, "run", "-d", "--rootfs", rootfs, "sh", "-c", script], env=env, capture_output=True,
                         text=True, check=True).stdout.strip()
    with open(os.path.join(run_root, "containers", cid, "state.json")) as f:
        mon = json.load(f)["ownerPid"]
    cpu = 0.0
    times = None
    while times is None:
        try:
            cpu = monitor_cpu(mon)
        except OSError:
            break
        r = subprocess.run([cli, "exec", cid, "cat", "/tmp/t"], env=env, capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.strip():
            times = [float(x) for x in r.stdout.split()]
            cpu = monitor_cpu(mon)  # the writer is done; the container sleeps
        else:
            time.sleep(0.05)
    subprocess.run([cli, "wait", cid], env=env, capture_output=True, check=True)
    subprocess.run([cli, "rm", cid], env=env, capture_output=True, check=True)
    if times is None:
        sys.exit("the container exited before its timing was read")
    return max(times[1] - times[0], 0.01), cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=512, help="MB written per run")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    a = ap.parse_args()
    cli = os.path.join(os.path.abspath(a.build), "bin", "berth")
    tmp = tempfile.mkdtemp(prefix="berth-logbench-")
    runtmp = tempfile.mkdtemp(prefix="berth-logbench-", dir="/run")
    try:
        rootfs = os.path.join(tmp, "rootfs")
        make_rootfs(rootfs)
        for tool in ("dd", "yes", "head", "sleep", "cat"):
            os.symlink("busybox", os.path.join(rootfs, "bin", tool))
        run_root = os.path.join(runtmp, "berth")
        env = dict(os.environ, BERTH_ROOT=os.path.join(tmp, "root"), BERTH_RUN_ROOT=run_root, BERTH_NETWORK="none")
        mb = a.mb
        writers = [("dd bs=64k", "dd if=/dev/zero bs=65536 count=%d 2>/dev/null" % (mb * 16)),
                   ("yes (2-byte lines)", "yes | head -c %d" % (mb * 1048576))]
        print("log throughput, %d MB per run, median of %d runs" % (mb, a.runs))
        for name, w in writers:
            res = {}
            for sink, label in (("> /dev/null", "/dev/null in the container"), ("", "through the monitor")):
                secs, cpus = [], []
                for _ in range(a.runs):
                    s, c = one(cli, env, rootfs, run_root, w, sink)
                    secs.append(s)
                    cpus.append(c)
                res[label] = (statistics.median(secs), statistics.median(cpus))
            for label, (s, c) in res.items():
                extra = ""
                if label == "through the monitor":
                    extra = "  monitor CPU %.2f s = %.2f ms/MB" % (c, c * 1000 / mb)
                print("  %-20s %-28s %8.1f MB/s%s" % (name, label, mb / s, extra))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(runtmp, ignore_errors=True)


if __name__ == "__main__":
    main()
