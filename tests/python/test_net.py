"""Networking from the CLI and the bindings, with real traffic, in a private
network + mount namespace that plays the host (loopback up, 192.0.2.1 on a
veth pair). The CLI runs there through nsenter; the bindings' calls and the
test's own sockets run there by setns() of the test thread's network
namespace. Nothing touches the machine's own network."""
import contextlib
import ctypes
import json
import os
import re
import socket
import subprocess
import time

import pytest

import berth
from berth.net import Port, parse_ports
from conftest import BUILD, CLI

HOST_IP = "192.0.2.1"
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)

HTTPD = ("mkdir -p /tmp/www && echo served-by-$(hostname) > /tmp/www/index.html && "
         "httpd -f -p 80 -h /tmp/www")


class HostNS:
    def __init__(self, pid):
        self.pid = pid

    def cmd(self, argv):
        return ["nsenter", "-t", str(self.pid), "-n", "-m", "--"] + list(argv)

    def sh(self, script):
        return subprocess.run(self.cmd(["sh", "-c", script]), capture_output=True, text=True, timeout=60).stdout

    @contextlib.contextmanager
    def entered(self):
        """This thread in the namespace's network namespace."""
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open("/proc/%d/ns/net" % self.pid, os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
            try:
                yield self
            finally:
                if _libc.setns(own, CLONE_NEWNET) != 0:
                    os._exit(99)  # never go on in the wrong namespace
        finally:
            os.close(own)
            os.close(target)


@pytest.fixture
def hostns():
    p = subprocess.Popen(
        ["unshare", "--net", "--mount", "--propagation", "private", "sh", "-c",
         "ip link set lo up && ip link add hveth0 type veth peer name hveth1 && "
         "ip addr add %s/24 dev hveth0 && ip link set hveth0 up && ip link set hveth1 up && "
         "echo ready && exec sleep 100000" % HOST_IP], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "ready\n", "cannot make the test's network namespace"
        yield HostNS(p.pid)
    finally:
        p.kill()
        p.wait()


@pytest.fixture
def ncli(roots, hostns, monkeypatch):
    """The CLI in the test's namespace, with its default network (bridge)."""
    monkeypatch.delenv("BERTH_NETWORK", raising=False)
    root, run_root = roots

    def run(*args, timeout=60):
        return subprocess.run(hostns.cmd([CLI, "--root", root, "--run-root", run_root] + list(args)),
                              capture_output=True, text=True, timeout=timeout)

    run.root, run.run_root, run.ns = root, run_root, hostns
    return run


def http_get(addr, port, attempts=50):
    """The body of GET / at addr:port from the calling thread, or None."""
    for _ in range(attempts):
        try:
            with socket.create_connection((addr, port), timeout=3) as s:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            if head.startswith(b"HTTP/1."):
                return body.decode()
        except OSError:
            pass
        time.sleep(0.1)
    return None


def assert_no_leftovers(ns, root):
    links = ns.sh("ip -o link show")
    assert ": vb" not in links, "veth left:\n" + links
    maps = ns.sh("nft list map ip berth dnat_any 2>/dev/null; nft list map ip berth dnat_addr 2>/dev/null")
    assert "elements" not in maps, "DNAT elements left:\n" + maps
    ipam = ipam_dir(ns)
    assert not os.path.exists(ipam), "IPAM files left: %s" % os.listdir(ipam)
    assert not os.path.exists(os.path.join(root, "networks", "ipam")), "per-root IPAM directory left"


def ipam_dir(ns):
    """The host-wide IPAM directory of the namespace's bridges (lib/net/ipam.c)."""
    with ns.entered():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        cookie = int.from_bytes(s.getsockopt(socket.SOL_SOCKET, 71, 8), "little")  # SO_NETNS_COOKIE
    finally:
        s.close()
    return "/run/berth-ipam/cookie-%d" % cookie


def test_cli_publish_port_ps_inspect(ncli, rootfs):
    r = ncli("run", "-d", "--name", "web", "-p", "18080:80", "--rootfs", rootfs, "--tmpfs", "/tmp",
             "sh", "-c", HTTPD)
    assert r.returncode == 0, r.stderr
    cid = r.stdout.strip()
    want = "served-by-%s\n" % cid[:12]
    try:
        assert ncli("port", "web").stdout == "80/tcp -> 0.0.0.0:18080\n"
        assert ncli("port", "web", "80").stdout == "0.0.0.0:18080\n"
        r = ncli("port", "web", "81/udp")
        assert r.returncode == 1 and "81/udp" in r.stderr
        ps = ncli("ps").stdout.splitlines()
        assert ps[0].split() == ["CONTAINER", "ID", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
        assert "0.0.0.0:18080->80/tcp" in ps[1]
        rows = [json.loads(l) for l in ncli("ps", "--format", "json").stdout.splitlines()]
        assert rows[0]["Ports"] == "0.0.0.0:18080->80/tcp"
        info = json.loads(ncli("inspect", "web").stdout)[0]["network"]
        assert info["mode"] == "bridge" and info["network"] == "bridge"
        assert re.fullmatch(r"10\.88\.\d+\.\d+", info["address"]) and info["gateway"] == "10.88.0.1"
        assert re.fullmatch(r"02:42(:[0-9a-f]{2}){4}", info["mac"])
        assert info["ports"] == [{"hostIp": "", "hostPort": 18080, "containerPort": 80, "protocol": "tcp"}]
        with ncli.ns.entered():
            assert http_get(HOST_IP, 18080) == want
            assert http_get("127.0.0.1", 18080) == want
        # a second container: by the host address (hairpin) and by the container address
        r = ncli("run", "--rm", "--rootfs", rootfs, "sh", "-c",
                 "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 %s 18080 | tail -n 1; "
                 "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 %s 80 | tail -n 1" % (HOST_IP, info["address"]))
        assert r.returncode == 0 and r.stdout == want + want, r.stdout + r.stderr
    finally:
        assert ncli("rm", "-f", "web").returncode == 0
    assert_no_leftovers(ncli.ns, ncli.root)
    with ncli.ns.entered():
        assert http_get("127.0.0.1", 18080, attempts=1) is None


def test_cli_attached_with_ports_passes_stdio_and_exit_code(ncli, rootfs):
    r = ncli("run", "--rm", "-p", "18500:80", "--rootfs", rootfs, "sh", "-c",
             "echo attached-out; echo attached-err >&2; exit 3")
    assert r.returncode == 3, r.stderr
    assert r.stdout == "attached-out\n" and r.stderr == "attached-err\n"
    assert_no_leftovers(ncli.ns, ncli.root)
    # without --rm the monitor (there for the ports) tees: ours, and the log
    r = ncli("run", "--name", "teed", "-p", "18500:80", "--rootfs", rootfs, "sh", "-c",
             "echo teed-out; echo teed-err >&2; exit 4")
    assert (r.returncode, r.stdout, r.stderr) == (4, "teed-out\n", "teed-err\n")
    r = ncli("logs", "teed")
    assert (r.returncode, r.stdout, r.stderr) == (0, "teed-out\n", "teed-err\n")
    assert ncli("rm", "teed").returncode == 0
    assert_no_leftovers(ncli.ns, ncli.root)


def test_cli_network_modes_and_commands(ncli, rootfs):
    r = ncli("run", "--rm", "--network", "none", "--rootfs", rootfs, "sh", "-c", "ip -o link | cut -d: -f2")
    assert r.returncode == 0 and r.stdout == " lo\n", r.stdout + r.stderr
    r = ncli("run", "--rm", "--network", "host", "--rootfs", rootfs, "ip", "-o", "-4", "addr")
    assert HOST_IP + "/24" in r.stdout
    r = ncli("run", "--rm", "--dns", "192.0.2.53", "--rootfs", rootfs, "cat", "/etc/resolv.conf")
    assert r.stdout == "nameserver 192.0.2.53\n", r.stdout + r.stderr

    r = ncli("network", "create", "--subnet", "10.91.0.0/24", "appnet")
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(r"[0-9a-f]{64}\n", r.stdout)
    assert ncli("network", "create", "appnet").returncode == 125
    assert ncli("network", "ls", "-q").stdout.split() == ["bridge", "host", "none", "appnet"]
    rows = [json.loads(l) for l in ncli("network", "ls", "--format", "json").stdout.splitlines()]
    assert {"Name": "appnet", "Subnet": "10.91.0.0/24", "Gateway": "10.91.0.1"}.items() <= rows[3].items()
    r = ncli("run", "--rm", "--network", "appnet", "--rootfs", rootfs, "sh", "-c",
             "ip -o -4 addr show eth0 | awk '{print $4}'; ip route | head -n 1")
    assert re.fullmatch(r"10\.91\.0\.\d+/24\ndefault via 10\.91\.0\.1 dev eth0 ?\n", r.stdout), r.stdout + r.stderr
    info = json.loads(ncli("network", "inspect", "appnet").stdout)[0]
    assert info["subnet"] == "10.91.0.0/24" and info["driver"] == "bridge" and info["containers"] == []
    assert ncli("network", "rm", "appnet").returncode == 0
    assert "berth-" not in ncli.ns.sh("ip -o link show")
    assert ncli("network", "rm", "bridge").returncode == 125

    # bad input: clear errors, nothing made
    r = ncli("network", "create", "--subnet", "192.0.2.0/25", "clash")
    assert r.returncode == 125 and "overlaps" in r.stderr and "192.0.2.0/24" in r.stderr
    for spec, word in (("70000:80", "70000"), ("abc", "abc"), ("80:80/sctp", "sctp")):
        r = ncli("run", "--rm", "-p", spec, "--rootfs", rootfs, "true")
        assert r.returncode == 125 and word in r.stderr, (spec, r.stderr)
    r = ncli("run", "--rm", "--network", "none", "-p", "80", "--rootfs", rootfs, "true")
    assert r.returncode == 125 and "bridge" in r.stderr
    r = ncli("run", "--rm", "--network", "nosuchnet", "--rootfs", rootfs, "true")
    assert r.returncode == 125 and "nosuchnet" in r.stderr
    assert_no_leftovers(ncli.ns, ncli.root)


def test_cli_monitor_killed_leaves_nothing(ncli, rootfs):
    r = ncli("run", "-d", "--name", "victim", "-p", "18600:80", "--rootfs", rootfs, "--tmpfs", "/tmp",
             "sh", "-c", HTTPD)
    assert r.returncode == 0, r.stderr
    info = json.loads(ncli("inspect", "victim").stdout)[0]
    monitor, init = info["ownerPid"], info["pid"]
    assert monitor > 0 and init > 0
    os.kill(monitor, 9)
    os.kill(init, 9)
    for _ in range(100):
        if not os.path.exists("/proc/%d" % monitor) or "Z" in open("/proc/%d/stat" % monitor).read().split()[2]:
            break
        time.sleep(0.02)
    time.sleep(0.1)
    ps = ncli("ps", "-a")  # the next command cleans up after the dead monitor
    assert ps.returncode == 0 and "Exited" in ps.stdout, ps.stdout
    assert_no_leftovers(ncli.ns, ncli.root)
    assert ncli("rm", "victim").returncode == 0


def _wait_gone(pid):
    for _ in range(250):
        if not os.path.exists("/proc/%d" % pid) or "Z" in open("/proc/%d/stat" % pid).read().split()[2]:
            return
        time.sleep(0.02)
    raise AssertionError("process %d still alive" % pid)


def test_cli_monitor_killed_ps_says_so_start_repairs(ncli, rootfs):
    r = ncli("run", "-d", "--name", "orphan", "-p", "18610:80", "--rootfs", rootfs, "--tmpfs", "/tmp",
             "sh", "-c", HTTPD)
    assert r.returncode == 0, r.stderr
    want = "served-by-%s\n" % r.stdout.strip()[:12]
    with ncli.ns.entered():
        assert http_get("127.0.0.1", 18610) == want
    monitor = json.loads(ncli("inspect", "orphan").stdout)[0]["ownerPid"]
    os.kill(monitor, 9)
    _wait_gone(monitor)
    ps = ncli("ps")
    assert re.search(r"Up .* \(unsupervised\)", ps.stdout), ps.stdout
    info = json.loads(ncli("inspect", "orphan").stdout)[0]
    assert info["supervised"] is False and info["status"] == "running", info
    r = ncli("logs", "orphan")
    assert "unsupervised" in r.stderr and "berth start orphan" in r.stderr, r.stderr
    r = ncli("start", "orphan")
    assert r.returncode == 0 and r.stdout == "orphan\n", r
    assert "(unsupervised)" not in ncli("ps").stdout
    info = json.loads(ncli("inspect", "orphan").stdout)[0]
    assert info["supervised"] is True and info["ownerPid"] != monitor
    with ncli.ns.entered():
        assert http_get("127.0.0.1", 18610) == want
    assert ncli("stop", "-t", "1", "orphan").returncode == 0
    _wait_gone(info["ownerPid"])
    assert_no_leftovers(ncli.ns, ncli.root)  # cleaned up by the new monitor, before rm
    assert ncli("rm", "orphan").returncode == 0


def test_bindings_supervise_after_monitor_killed(roots, rootfs, hostns):
    root, run_root = roots
    with hostns.entered(), berth.Context(root=root, run_root=run_root) as ctx:
        c = ctx.create(["sh", "-c", HTTPD], rootfs=rootfs, mounts=[{"destination": "/tmp", "type": "tmpfs",
                                                                    "source": "tmpfs"}],
                       ports=["18095:80"], start=True)
        try:
            want = "served-by-%s\n" % c.id[:12]
            assert c.supervised
            monitor = c.inspect()["ownerPid"]
            os.kill(monitor, 9)
            _wait_gone(monitor)
            assert not c.supervised and c.status == "running"
            assert http_get("127.0.0.1", 18095, attempts=1) is None
            c.supervise()
            assert c.supervised and c.inspect()["ownerPid"] != monitor
            assert http_get("127.0.0.1", 18095) == want
            with pytest.raises(berth.StateError):
                c.supervise()
        finally:
            c.delete(force=True)
            c.close()
    assert_no_leftovers(hostns, root)


def test_bindings_ports_and_networks(roots, rootfs, hostns):
    helper = os.path.join(BUILD, "bin", "net_udp_echo")
    root, run_root = roots
    with hostns.entered(), berth.Context(root=root, run_root=run_root) as ctx:
        assert ctx.networks() == ["bridge", "host", "none"]
        assert [str(p) for p in parse_ports("127.0.0.1:18700-18701:80-81/udp")] == [
            "127.0.0.1:18700->80/udp", "127.0.0.1:18701->81/udp"]
        with pytest.raises(berth.InvalidArgument, match="70000"):
            parse_ports("70000:80")

        c = ctx.create(["sh", "-c", HTTPD], rootfs=rootfs, mounts=[{"destination": "/tmp", "type": "tmpfs",
                                                                    "source": "tmpfs"}],
                       ports=["18090:80"], start=True)
        try:
            want = "served-by-%s\n" % c.id[:12]
            assert c.ports() == [Port(80, 18090)]
            assert (c.network, c.image) == ("bridge", None)
            assert http_get(HOST_IP, 18090) == want
            assert http_get("127.0.0.1", 18090) == want
            # a mapping added to the running container (kernel path; the
            # reservation lives in this handle)
            c.add_port((18091, 80))
            assert {p.host_port for p in c.ports()} == {18090, 18091}
            assert http_get(HOST_IP, 18091) == want
            with pytest.raises(berth.Exists):
                c.add_port("18091:80")
            c.remove_port((18091, 80))
            assert c.ports() == [Port(80, 18090)]
            assert http_get(HOST_IP, 18091, attempts=1) is None
        finally:
            c.delete(force=True)
            c.close()

        # UDP echo behind -p /udp, by the host address and by 127.0.0.1
        u = ctx.create(["/tmp/udp_echo", "9999"], rootfs=rootfs,
                       mounts=[{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}, (helper, "/tmp/udp_echo", "ro")],
                       ports=["19998:9999/udp"], start=True)
        try:
            for addr in (HOST_IP, "127.0.0.1"):
                got = None
                for _ in range(30):
                    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                        s.settimeout(0.3)
                        s.sendto(b"ping-" + addr.encode(), (addr, 19998))
                        try:
                            got = s.recv(100)
                            break
                        except OSError:
                            pass
                assert got == b"ping-" + addr.encode(), addr
        finally:
            u.delete(force=True)
            u.close()

        # run() with ports: the monitor is the parent, the output still comes back
        r = ctx.run(["sh", "-c", "echo out; echo err >&2; exit 4"], rootfs=rootfs, ports=["18095:80"],
                    capture_output=True)
        assert (r.exit_code, r.stdout, r.stderr) == (4, b"out\n", b"err\n")

        info = ctx.create_network("pynet", subnet="10.92.0.0/24")
        assert info["gateway"] == "10.92.0.1" and info["bridge"].startswith("berth-")
        with pytest.raises(berth.Exists):
            ctx.create_network("pynet", subnet="10.93.0.0/24")
        with pytest.raises(berth.InvalidArgument, match="overlaps"):
            ctx.create_network("clash", subnet="10.92.0.128/25")
        r = ctx.run(["sh", "-c", "ip -o -4 addr show eth0"], rootfs=rootfs, network="pynet", capture_output=True)
        assert b"10.92.0." in r.stdout, r.stdout + r.stderr
        assert ctx.networks() == ["bridge", "host", "none", "pynet"]
        ctx.remove_network("pynet")
        with pytest.raises(berth.NotFound):
            ctx.network("pynet")
    assert_no_leftovers(hostns, root)


def test_cli_publish_all_exposed_ports(ncli, rootfs, tmp_path):
    tarball = tmp_path / "web.tar"
    subprocess.run(["tar", "-C", rootfs, "--numeric-owner", "-cf", str(tarball), "."], check=True)
    assert ncli("import", str(tarball), "web:1").returncode == 0
    # the image's config gets ExposedPorts (umoci edits berth's OCI layout)
    subprocess.run(["umoci", "config", "--image", "%s/images:docker.io/library/web:1" % ncli.root,
                    "--config.exposedports", "80/tcp", "--config.exposedports", "81/tcp"], check=True,
                   capture_output=True)
    r = ncli("run", "-d", "--name", "pall", "-P", "--tmpfs", "/tmp", "web:1", "sh", "-c", HTTPD)
    assert r.returncode == 0, r.stderr
    cid = r.stdout.strip()
    try:
        lines = ncli("port", "pall").stdout.splitlines()
        got = sorted(re.fullmatch(r"(\d+)/tcp -> 0\.0\.0\.0:(\d+)", l).groups() for l in lines)
        assert [c for c, _ in got] == ["80", "81"], lines
        host80 = int(got[0][1])
        assert host80 > 0
        with ncli.ns.entered():
            assert http_get(HOST_IP, host80) == "served-by-%s\n" % cid[:12]
    finally:
        assert ncli("rm", "-f", "pall").returncode == 0
    assert_no_leftovers(ncli.ns, ncli.root)
