# Shared fixtures for the Python tests (bindings and CLI).
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

import pytest

# The CLI's default network is bridge; no test outside a private network
# namespace (test_net.py makes one) may touch the machine's network.
os.environ["BERTH_NETWORK"] = "none"

BUILD = os.environ.get("BERTH_TEST_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
CLI = os.environ.get("BERTH_CLI", os.path.join(BUILD, "bin", "berth"))


def _make_rootfs(path):
    """A busybox rootfs from busybox-static (the same layout as tests/testutil.c)."""
    for d in ("bin", "etc", "tmp", "root", "proc", "sys", "dev", "usr/bin", "sbin", "usr/sbin"):
        os.makedirs(os.path.join(path, d), exist_ok=True)
    shutil.copy2("/bin/busybox", os.path.join(path, "bin", "busybox"))
    applets = subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True, check=True).stdout.split()
    for a in applets:
        if a == "busybox":
            continue
        link = os.path.join(path, "bin", a)
        if not os.path.lexists(link):
            os.symlink("busybox", link)
    os.chmod(os.path.join(path, "tmp"), 0o1777)
    with open(os.path.join(path, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n")
    with open(os.path.join(path, "etc", "group"), "w") as f:
        f.write("root:x:0:\nnobody:x:65534:\n")


@pytest.fixture(scope="session")
def rootfs():
    d = tempfile.mkdtemp(prefix="berth-pyrootfs-")
    _make_rootfs(d)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _mounts_under(prefix):
    n = 0
    with open("/proc/self/mountinfo") as f:
        for line in f:
            if line.split()[4].startswith(prefix):
                n += 1
    return n


def _remove_containers(root, run_root):
    """A failed test's containers, removed through the library before their
    roots go: their processes, cgroups, mounts and network with them (a bare
    rmtree would leave a created container's init waiting for its start)."""
    import berth
    try:
        with berth.Context(root=root, run_root=run_root) as ctx:
            for cid in ctx.container_ids():
                try:
                    with ctx.container(cid) as c:
                        c.delete(force=True)
                except berth.BerthError:
                    pass
    except berth.BerthError:
        pass


@pytest.fixture
def roots():
    """Fresh state roots; after the test, asserts no container state, mount
    or monitor process is left, then removes them."""
    d = tempfile.mkdtemp(prefix="berth-pytest-")
    root, run_root = os.path.join(d, "root"), os.path.join(d, "run")
    yield root, run_root
    left = []
    for p in (os.path.join(root, "containers"), os.path.join(run_root, "containers")):
        if os.path.isdir(p) and os.listdir(p):
            left.append("%s: %s" % (p, os.listdir(p)))
    if left:
        _remove_containers(root, run_root)
    if _mounts_under(d):
        left.append("%d mounts under %s" % (_mounts_under(d), d))
        subprocess.run("grep '%s' /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l" % d,
                       shell=True)
    mon = subprocess.run(["pgrep", "-f", "berth-monitor.*%s" % d], capture_output=True, text=True).stdout.split()
    if mon:
        left.append("monitor processes %s" % mon)
        for pid in mon:
            try:
                os.kill(int(pid), 9)
            except OSError:
                pass
    shutil.rmtree(d, ignore_errors=True)
    assert not left, "left behind: " + "; ".join(left)


@pytest.fixture
def cli(roots, monkeypatch):
    """Runs build/bin/berth with the test's roots: cli("ps", "-a") -> CompletedProcess (text).
    The CLI's default network is bridge (as docker's); outside a private network
    namespace (tests/python/test_net.py) the tests never touch the host's network:
    BERTH_NETWORK=none for every berth this test starts."""
    monkeypatch.setenv("BERTH_NETWORK", "none")
    root, run_root = roots

    def run(*args, input=None, timeout=60, check=False):
        cmd = [CLI, "--root", root, "--run-root", run_root] + list(args)
        return subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout, check=check)

    run.root, run.run_root = root, run_root
    return run


def _free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def registry(tmp_path):
    """A docker-registry on a free 127.0.0.1 port with its own storage; stopped after the test."""
    port = _free_port()
    cfg = tmp_path / "registry.yml"
    cfg.write_text("version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%d\n"
                   "log:\n  level: error\n" % (tmp_path / "data", port))
    p = subprocess.Popen(["/usr/bin/docker-registry", "serve", str(cfg)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/v2/" % port, timeout=1)
                break
            except Exception:
                time.sleep(0.05)
        yield "127.0.0.1:%d" % port
    finally:
        p.kill()
        p.wait()


