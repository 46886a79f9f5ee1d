"""Fault injection: every step of container create/start/delete, network
attach/detach, volume create, pull and build is made to fail on purpose
(BERTH_FAULT=point, a build with -DBERTH_FAULT_INJECTION=ON), and after each
failure the census finds nothing left behind — no container state, mount,
cgroup, process, veth, nftables element, IPAM file, lock or temp file that was
not there before — and the same operation then works. The steps are not
listed here: a first run with BERTH_FAULT_TRACE records the points each
operation passes. Also: `berth run -d -p` killed with SIGKILL at random points
leaves no "Created" container and nothing that `rm -f` does not clean.

Everything runs in a private network namespace that plays the host (the
hostns fixture of test_net.py)."""
import os
import random
import shutil
import signal
import subprocess
import tarfile
import time

import pytest

from conftest import CLI
from test_net import HTTPD, hostns, http_get  # noqa: F401 (a fixture)

pytestmark = pytest.mark.skipif(os.environ.get("BERTH_TEST_FAULT") != "1",
                                reason="needs a build with -DBERTH_FAULT_INJECTION=ON (scripts/test.sh makes one)")

CGPARENT = "berth/flt%d" % os.getpid()


def snapshot(*dirs):
    """Every path below the state roots (what a failure must not add to)."""
    out = set()
    for d in dirs:
        for base, subdirs, files in os.walk(d):
            for n in subdirs + files:
                p = os.path.join(base, n)
                if "/cache/seccomp/" in p:
                    continue  # a compiled filter cached on first use is not a leftover
                out.add(os.path.relpath(p, d) + ("/" if n in subdirs else ""))
    return out


def cgroups_left():
    left = []
    for h in os.listdir("/sys/fs/cgroup"):
        d = os.path.join("/sys/fs/cgroup", h, CGPARENT)
        if os.path.isdir(d):
            left += [os.path.join(d, c) for c in os.listdir(d) if os.path.isdir(os.path.join(d, c))]
    return left


def mounts_under(prefix):
    with open("/proc/self/mountinfo") as f:
        return [l.split()[4] for l in f if l.split()[4].startswith(prefix)]


def ipam_dir(ns):
    """The host-wide IPAM directory of the test's network namespace (lib/net/ipam.c)."""
    import socket
    import struct
    with ns.entered():
        s = socket.socket()
        cookie = struct.unpack("Q", s.getsockopt(socket.SOL_SOCKET, 71, 8))[0]  # SO_NETNS_COOKIE
        s.close()
    return "/run/berth-ipam/cookie-%d" % cookie


class Census:
    def __init__(self, ns, root, run_root):
        self.ns, self.root, self.run_root = ns, root, run_root
        self.ipam = ipam_dir(ns) if ns else None

    def take(self):
        # without a namespace of its own (pull, build) the test has no network to look at
        links = self.ns.sh("ip -o link show") if self.ns else ""
        nft = self.ns.sh("nft list map ip berth dnat_any 2>/dev/null; nft list map ip berth dnat_addr 2>/dev/null") \
            if self.ns else ""
        mon = subprocess.run(["pgrep", "-f", "berth-monitor.*%s" % self.root], capture_output=True,
                             text=True).stdout.split()
        ipam = []
        if self.ipam and os.path.isdir(self.ipam):
            for base, _, files in os.walk(self.ipam):
                ipam += [os.path.join(base, f) for f in files if not f.startswith(".")]
        return {
            "paths": snapshot(self.root, self.run_root),
            "ipam": sorted(ipam),
            "veths": sorted(l.split(":")[1].strip() for l in links.splitlines() if ": vb" in l),
            "nft elements": "elements" in nft,
            "cgroups": cgroups_left(),
            "mounts": mounts_under(os.path.dirname(self.root)),
            "monitors": mon,
        }

    def same_as(self, before, what):
        now = self.take()
        diff = {}
        for k in before:
            if k == "paths":
                if now[k] != before[k]:
                    diff[k] = {"new": sorted(now[k] - before[k])[:20], "gone": sorted(before[k] - now[k])[:20]}
            elif now[k] != before[k]:
                diff[k] = (before[k], now[k])
        assert not diff, "%s left behind: %s" % (what, diff)


def traced(run, tmp_path, name, *args):
    """Runs the CLI once with BERTH_FAULT_TRACE: the points it passed, in order, once each."""
    trace = tmp_path / ("trace-" + name)
    r = run(*args, env={"BERTH_FAULT_TRACE": str(trace)})
    assert r.returncode == 0, r.stderr
    seen = []
    for p in trace.read_text().split():
        if p not in seen:
            seen.append(p)
    return seen


@pytest.fixture
def fcli(roots, hostns, monkeypatch):
    monkeypatch.delenv("BERTH_NETWORK", raising=False)
    root, run_root = roots

    def run(*args, env=None, timeout=60):
        e = dict(os.environ)
        e.pop("BERTH_FAULT", None)
        e.update(env or {})
        return subprocess.run(hostns.cmd([CLI, "--root", root, "--run-root", run_root] + list(args)),
                              capture_output=True, text=True, timeout=timeout, env=e)

    run.root, run.run_root, run.ns = root, run_root, hostns
    yield run
    # a failed test may leave containers running: remove them before the
    # roots fixture checks (and its monitors are gone)
    for cid in run("ps", "-aq").stdout.split():
        run("rm", "-f", "-v", cid)
    for h in os.listdir("/sys/fs/cgroup"):
        d = os.path.join("/sys/fs/cgroup", h, CGPARENT)
        if os.path.isdir(d):
            try:
                os.rmdir(d)
            except OSError:
                pass


def walk(run, census, points, op, undo, what, after_failure=None):
    """Fails each point of op in turn: a clear error naming the point, the
    census unchanged (after after_failure(), where a failure may leave what a
    documented command removes), then op + undo work and leave the census
    unchanged."""
    assert points, "%s passed no fault point: is fault injection compiled in?" % what
    for point in points:
        before = census.take()
        r = op({"BERTH_FAULT": point})
        assert r.returncode != 0, "%s with a fault at %s succeeded" % (what, point)
        assert "fault injected at %s" % point in r.stderr, "%s at %s: %s" % (what, point, r.stderr)
        tmp = [p for p in census.take()["paths"] - before["paths"] if ".tmp" in p or "/tmp-" in p]
        assert not tmp, "%s failed at %s left temp files: %s" % (what, point, tmp)
        if after_failure:
            assert after_failure().returncode == 0
        census.same_as(before, "%s failed at %s" % (what, point))
        r = op({})
        assert r.returncode == 0, "%s after the fault at %s: %s" % (what, point, r.stderr)
        r = undo()
        assert r.returncode == 0, r.stderr
        census.same_as(before, "%s + undo after the fault at %s" % (what, point))


@pytest.fixture
def pcli(roots, monkeypatch):
    """The CLI without a network namespace of its own (pull, build): BERTH_NETWORK=none."""
    monkeypatch.setenv("BERTH_NETWORK", "none")
    root, run_root = roots

    def run(*args, env=None, timeout=120):
        e = dict(os.environ)
        e.pop("BERTH_FAULT", None)
        e.update(env or {})
        return subprocess.run([CLI, "--root", root, "--run-root", run_root] + list(args), capture_output=True,
                              text=True, timeout=timeout, env=e)

    run.root, run.run_root = root, run_root
    yield run
    for cid in run("ps", "-aq").stdout.split():
        run("rm", "-f", "-v", cid)


def test_fault_every_step_of_run_with_network_volume_and_port(fcli, rootfs, tmp_path):
    census = Census(fcli.ns, fcli.root, fcli.run_root)
    args = ["run", "-d", "--name", "f", "-p", "18080:80", "-v", "/data", "--cgroup-parent", CGPARENT,
            "--rootfs", rootfs, "--tmpfs", "/tmp", "sh", "-c", HTTPD]

    def undo():
        return fcli("rm", "-f", "-v", "f")

    # warm-up: lock files, the bridge, the nftables table and caches exist from here on
    points = traced(fcli, tmp_path, "run", *args)
    with fcli.ns.entered():
        assert http_get("192.0.2.1", 18080) is not None
    assert undo().returncode == 0
    want = {"container.create.rootfs", "container.create.name", "container.create.volumes", "volume.create",
            "container.create.network", "network.prepare.address", "network.prepare.port",
            "network.prepare.record", "container.create.cgroup", "container.create.spawn", "network.attach.veth",
            "network.attach.port", "container.create.ready", "container.create.state"}
    assert want <= set(points), "steps not passed: %s (trace: %s)" % (want - set(points), points)
    walk(fcli, census, points, lambda env: fcli(*args, env=env), undo, "run -d -p -v")
    # the last round trip: the port answers
    assert fcli(*args).returncode == 0
    with fcli.ns.entered():
        assert http_get("192.0.2.1", 18080) is not None
    assert undo().returncode == 0


def test_fault_every_step_of_rm(fcli, rootfs, tmp_path):
    census = Census(fcli.ns, fcli.root, fcli.run_root)
    args = ["run", "-d", "--name", "g", "-p", "18081:80", "--cgroup-parent", CGPARENT, "--rootfs", rootfs,
            "--tmpfs", "/tmp", "sh", "-c", HTTPD]
    assert fcli(*args).returncode == 0
    points = traced(fcli, tmp_path, "rm", "rm", "-f", "g")
    # the network is torn down by the monitor when the container dies (the
    # rm only when the monitor is gone): network.teardown is walked by the kill test
    assert "container.delete.teardown" in points, points
    before = census.take()
    for point in points:
        assert fcli(*args).returncode == 0
        r = fcli("rm", "-f", "g", env={"BERTH_FAULT": point})
        assert r.returncode != 0 and "fault injected at %s" % point in r.stderr, (point, r.stderr)
        # it is still there, and a second rm finishes the job
        assert "g" in fcli("ps", "-a", "--format", "{{.Names}}").stdout.split()
        r = fcli("rm", "-f", "g")
        assert r.returncode == 0, r.stderr
        census.same_as(before, "rm failed at %s, then rm again" % point)


def test_fault_every_step_of_pull(pcli, rootfs, registry, tmp_path):
    fcli = pcli
    census = Census(None, fcli.root, fcli.run_root)
    tar = tmp_path / "rootfs.tar"
    with tarfile.open(tar, "w") as t:
        t.add(rootfs, arcname=".")
    ref = "%s/fault/bb:1" % registry
    assert fcli("import", str(tar), "bb:1").returncode == 0
    r = fcli("push", "bb:1", ref)
    assert r.returncode == 0, r.stderr

    def undo():
        r = fcli("rmi", ref)
        return r if r.returncode else fcli("image", "prune", "-a", "-f")

    assert fcli("rmi", "bb:1").returncode == 0
    assert fcli("image", "prune", "-a", "-f").returncode == 0
    points = traced(fcli, tmp_path, "pull", "pull", ref)
    assert undo().returncode == 0
    assert {"pull.manifest", "pull.layers", "pull.layer.install", "pull.tag"} <= set(points), points
    # layers verified and installed before a later step failed stay in the
    # store for the next pull (content-addressed); `image prune` removes them
    walk(fcli, census, points, lambda env: fcli("pull", ref, env=env), undo, "pull",
         after_failure=lambda: fcli("image", "prune", "-a", "-f"))


def test_fault_every_step_of_build(pcli, rootfs, tmp_path):
    fcli = pcli
    census = Census(None, fcli.root, fcli.run_root)
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    shutil.copy2(os.path.join(rootfs, "bin", "busybox"), ctx / "busybox")
    (ctx / "Dockerfile").write_text('FROM scratch\nCOPY busybox /bin/busybox\n'
                                    'RUN ["/bin/busybox", "mkdir", "/made"]\nCMD ["/bin/busybox", "true"]\n')
    args = ["build", "--no-cache", "-t", "built:1", str(ctx)]

    def undo():
        r = fcli("rmi", "built:1")
        return r if r.returncode else fcli("image", "prune", "-a", "-f")

    points = traced(fcli, tmp_path, "build", *args)
    assert undo().returncode == 0
    assert {"build.run", "build.step.commit", "build.image", "container.create.spawn"} <= set(points), points
    # the steps before the failed one stay in the build cache, as Docker's do;
    # `image prune` removes them (no image refers to them)
    walk(fcli, census, points, lambda env: fcli(*args, env=env), undo, "build",
         after_failure=lambda: fcli("image", "prune", "-a", "-f"))


def monitor_ids(root):
    """The container ids the live monitors of this root were started for."""
    ids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = open("/proc/%s/cmdline" % pid, "rb").read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"berth-monitor") and root.encode() in argv and b"--id" in argv:
            ids.append(argv[argv.index(b"--id") + 1].decode())
    return ids


def settle(root, run_root, seconds=10):
    """A monitor the killed CLI had started finishes the create on its own:
    wait until every container it and others are making has its state (or is gone)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        d = os.path.join(root, "containers")
        ids = set(os.listdir(d) if os.path.isdir(d) else []) | set(monitor_ids(root))
        if all(os.path.exists(os.path.join(run_root, "containers", i, "state.json")) or
               (not os.path.exists(os.path.join(d, i)) and i not in monitor_ids(root)) for i in ids):
            return
        time.sleep(0.05)


def test_kill9_during_run_detached_with_port(fcli, rootfs):
    """SIGKILL of `berth run -d -p` at random points (up to 40 ms after it
    starts): what is left is either nothing or a running container (never a
    "Created" one whose creator is gone), and rm -f of everything listed
    leaves the census as it was."""
    census = Census(fcli.ns, fcli.root, fcli.run_root)
    args = ["run", "-d", "-p", "18082:80", "--cgroup-parent", CGPARENT, "--rootfs", rootfs, "--tmpfs", "/tmp",
            "sh", "-c", HTTPD]
    assert fcli(*(args[:1] + ["--name", "warm"] + args[1:])).returncode == 0
    assert fcli("rm", "-f", "warm").returncode == 0
    before = census.take()
    rnd = random.Random(1234)
    statuses = []
    for i in range(20):
        p = subprocess.Popen(fcli.ns.cmd([CLI, "--root", fcli.root, "--run-root", fcli.run_root] + args[:1] +
                                         ["--name", "k%d" % i] + args[1:]),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0, 0.04))
        os.kill(p.pid, signal.SIGKILL)  # nsenter execs the CLI: this is its pid
        p.wait()
        settle(fcli.root, fcli.run_root)
        ps = fcli("ps", "-a", "--format", "{{.Names}} {{.Status}}").stdout.splitlines()
        for line in ps:
            name, status = line.split(" ", 1)
            statuses.append(status)
            assert not status.startswith("Created"), "a created container whose creator died: %s" % line
            r = fcli("rm", "-f", name)
            assert r.returncode == 0, r.stderr
        census.same_as(before, "run -d -p killed (round %d)" % i)
    print("states seen after the kills: %s" % sorted(set(s.split()[0] for s in statuses)))


def kill_at_random(cmd, rounds, max_delay, seed):
    rnd = random.Random(seed)
    for _ in range(rounds):
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0, max_delay))
        p.kill()
        p.wait()
        yield


def test_kill9_during_pull(pcli, rootfs, registry, tmp_path):
    """SIGKILL of `berth pull` at random points: the next berth command
    removes its temp files; what it had verified and installed stays in the
    store for the next pull and `image prune` removes it; the pull then works."""
    census = Census(None, pcli.root, pcli.run_root)
    tar = tmp_path / "rootfs.tar"
    with tarfile.open(tar, "w") as t:
        t.add(rootfs, arcname=".")
    ref = "%s/kill/bb:1" % registry
    assert pcli("import", str(tar), "bb:1").returncode == 0
    assert pcli("push", "bb:1", ref).returncode == 0
    assert pcli("rmi", "bb:1").returncode == 0
    assert pcli("image", "prune", "-a", "-f").returncode == 0
    before = census.take()
    cmd = [CLI, "--root", pcli.root, "--run-root", pcli.run_root, "pull", ref]
    for _ in kill_at_random(cmd, 12, 0.15, 99):
        assert pcli("images").returncode == 0  # the next store operation
        tmp = [p for p in census.take()["paths"] - before["paths"] if ".tmp/" in p or "/tmp-" in p]
        assert not tmp, "temp files of a killed pull left after the next command: %s" % tmp
        r = pcli("rmi", ref)
        assert r.returncode == 0 or "No such image" in r.stderr or "not found" in r.stderr.lower(), r.stderr
        assert pcli("image", "prune", "-a", "-f").returncode == 0
        census.same_as(before, "pull killed")
    assert pcli("pull", ref).returncode == 0


def test_kill9_during_build(pcli, rootfs, tmp_path):
    """SIGKILL of `berth build` at random points (RUN steps included): the next
    berth command removes the step's container and the build's temp files;
    after `image prune` nothing is left; the build then works."""
    census = Census(None, pcli.root, pcli.run_root)
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    shutil.copy2(os.path.join(rootfs, "bin", "busybox"), ctx / "busybox")
    (ctx / "Dockerfile").write_text('FROM scratch\nCOPY busybox /bin/busybox\n'
                                    'RUN ["/bin/busybox", "sleep", "0.2"]\nRUN ["/bin/busybox", "mkdir", "/m"]\n')
    args = ["build", "--no-cache", "-t", "k:1", str(ctx)]
    assert pcli(*args).returncode == 0
    assert pcli("rmi", "k:1").returncode == 0
    assert pcli("image", "prune", "-a", "-f").returncode == 0
    before = census.take()
    cmd = [CLI, "--root", pcli.root, "--run-root", pcli.run_root] + args
    for _ in kill_at_random(cmd, 10, 0.4, 7):
        time.sleep(0.2)  # a step's container dies with the build (parent-death signal)
        assert pcli("ps", "-a").returncode == 0 and pcli("images").returncode == 0  # the next commands
        # (the steps' cgroups, under the shared berth/ parent, are checked by
        # test_build_add.py::test_a_killed_build_takes_its_run_step_with_it)
        pcli("rmi", "k:1")  # there is no image when the build was killed before its end
        assert pcli("image", "prune", "-a", "-f").returncode == 0
        census.same_as(before, "build killed")
    assert pcli(*args).returncode == 0
