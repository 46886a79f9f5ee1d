#!/usr/bin/env python3
"""Building the same multi-step Dockerfile from the same local base image with
`berth build` and with `buildah bud`, cold (empty cache, base image already in
each tool's store) and warm (an unchanged rebuild: every step from the cache).

The base: a busybox-static root filesystem imported into berth's store
(`berth import`) and, from that store's OCI layout, pulled into buildah's
storage (`buildah pull oci:...`): the same bytes for both. buildah runs with
its own --root/--runroot, overlay storage (vfs if overlay does not work here),
`--layers` (its cache), `--network none` like berth's RUN, and its default
OCI isolation with runc (`--runtime runc`: crun, buildah's default here,
refuses this host's hybrid cgroups). Neither tool is timed for setting up the
base.

    bench/build_bench.py [--runs 5] [--build DIR] [--storage-driver overlay|vfs]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

DOCKERFILE = """FROM {base}
ARG VERSION=1.0
ENV APP_HOME=/app LANG=C.UTF-8
WORKDIR /app
COPY src/ ./src/
RUN mkdir -p out && for f in src/*.txt; do sha256sum "$f" >> out/sums; done && echo "$VERSION" > out/version
COPY data.bin assets/data.bin
RUN gzip -1 -c assets/data.bin > assets/data.gz && rm -f /etc/group && adduser -D -H -u 1000 app 2>/dev/null; true
RUN for i in $(seq 1 300); do echo "line $i"; done > out/lines.txt
USER 1000
EXPOSE 8080
LABEL org.example.bench=yes
CMD ["cat", "/app/out/version"]
"""


def sh(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit("failed: %s\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))
    return r.stdout


def make_rootfs(path):
    for d in ("bin", "etc", "tmp", "root", "usr/bin", "sbin"):
        os.makedirs(os.path.join(path, d), exist_ok=True)
    shutil.copy2("/bin/busybox", os.path.join(path, "bin", "busybox"))
    for a in subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True).stdout.split():
        if a != "busybox":
            os.symlink("busybox", os.path.join(path, "bin", a))
    os.chmod(os.path.join(path, "tmp"), 0o1777)
    with open(os.path.join(path, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")
    with open(os.path.join(path, "etc", "group"), "w") as f:
        f.write("root:x:0:\n")


def make_context(path):
    os.makedirs(os.path.join(path, "src"))
    for i in range(200):
        with open(os.path.join(path, "src", "f%03d.txt" % i), "w") as f:
            f.write(("source file %d\n" % i) * 40)
    with open(os.path.join(path, "data.bin"), "wb") as f:
        f.write(os.urandom(4 << 20))


def timed(cmd, env=None):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = (time.perf_counter() - t0) * 1000
    if r.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), r.stderr.decode()))
    return dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--storage-driver", default="overlay")
    a = ap.parse_args()
    berth = os.path.join(os.path.abspath(a.build), "bin", "berth")
    if not shutil.which("buildah"):
        sys.exit("buildah is not installed: BERTH_DEPS_BENCH=1 scripts/deps.sh")
    tmp = tempfile.mkdtemp(prefix="berth-buildbench-")
    try:
        rootfs = os.path.join(tmp, "rootfs")
        make_rootfs(rootfs)
        tarball = os.path.join(tmp, "base.tar")
        sh(["tar", "-C", rootfs, "--numeric-owner", "-cf", tarball, "."])
        ctx = os.path.join(tmp, "ctx")
        make_context(ctx)
        # the base image's OCI layout (for buildah)
        src = os.path.join(tmp, "src")
        sh([berth, "--root", src, "--run-root", src + "-run", "import", tarball, "bench/base:1"])
        layout = "oci:%s/images:docker.io/bench/base:1" % src

        def berth_roots(i):
            d = os.path.join(tmp, "berth-%d" % i)
            return ["--root", os.path.join(d, "root"), "--run-root", os.path.join(d, "run")]

        def berth_prepare(i):
            sh([berth] + berth_roots(i) + ["import", tarball, "bench/base:1"])

        def buildah_opts(i, driver):
            d = os.path.join(tmp, "buildah-%d" % i)
            return ["--root", os.path.join(d, "root"), "--runroot", os.path.join(d, "run"),
                    "--storage-driver", driver]

        driver = a.storage_driver
        # does buildah work here with this driver?
        probe = subprocess.run(["buildah"] + buildah_opts(999, driver) + ["pull", "-q", layout],
                               capture_output=True, text=True)
        if probe.returncode != 0 and driver != "vfs":
            print("buildah with %s storage failed (%s); using vfs" % (driver, probe.stderr.strip()[-200:]))
            driver = "vfs"

        def buildah_prepare(i):
            out = sh(["buildah"] + buildah_opts(i, driver) + ["pull", "-q", layout]).split()[-1]
            sh(["buildah"] + buildah_opts(i, driver) + ["tag", out, "localhost/bench/base:1"])

        with open(os.path.join(ctx, "Dockerfile.berth"), "w") as f:
            f.write(DOCKERFILE.format(base="bench/base:1"))
        with open(os.path.join(ctx, "Dockerfile.buildah"), "w") as f:
            f.write(DOCKERFILE.format(base="localhost/bench/base:1"))
        with open(os.path.join(ctx, ".dockerignore"), "w") as f:
            f.write("Dockerfile.*\n")

        def berth_build(i):
            return [berth] + berth_roots(i) + ["build", "-q", "-t", "bench/app:1", "-f",
                                               os.path.join(ctx, "Dockerfile.berth"), ctx]

        def buildah_build(i):
            return ["buildah"] + buildah_opts(i, driver) + ["bud", "-q", "--layers", "--network", "none",
                                                            "--runtime", shutil.which("runc") or "runc",
                                                            "-t", "bench/app:1", "-f",
                                                            os.path.join(ctx, "Dockerfile.buildah"), ctx]

        res = {}
        for name, prep, cmd in (("berth", berth_prepare, berth_build), ("buildah", buildah_prepare, buildah_build)):
            cold, warm = [], []
            for i in range(a.runs):
                prep(i)
                cold.append(timed(cmd(i)))
                warm.append(timed(cmd(i)))
            res[name] = (cold, warm)
        # the two images say the same
        out_b = sh([berth] + berth_roots(0) + ["run", "--rm", "bench/app:1"])
        print("berth image runs: %r" % out_b.strip())
        print("\nbuild of the same %d-step Dockerfile (4 MiB + 200 files of context), %d runs each, median ms"
              % (DOCKERFILE.count("\n"), a.runs))
        print("buildah: %s storage, --layers, --network none, --runtime runc\n" % driver)
        print("%-10s %12s %12s" % ("", "cold", "warm"))
        for name in ("berth", "buildah"):
            c, w = res[name]
            print("%-10s %12.1f %12.1f" % (name, statistics.median(c), statistics.median(w)))
        bc, bw = (statistics.median(x) for x in res["berth"])
        hc, hw = (statistics.median(x) for x in res["buildah"])
        print("\nbuildah/berth: cold %.1fx, warm %.1fx" % (hc / bc, hw / bw))
    finally:
        for i in list(range(a.runs)) + [999]:
            d = os.path.join(tmp, "buildah-%d" % i)
            if os.path.isdir(d):
                subprocess.run(["buildah", "--root", os.path.join(d, "root"), "--runroot", os.path.join(d, "run"),
                                "--storage-driver", driver if 'driver' in dir() else a.storage_driver,
                                "rm", "--all"], capture_output=True)
                subprocess.run("grep '%s' /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l"
                               % d, shell=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
