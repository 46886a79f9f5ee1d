# Tests of the berth CLI (examples/berth) as a user drives it: real containers
# on the real kernel, with the test's own state roots (the `cli` fixture).
#
#   BERTH_CLI=build/bin/berth BERTH_TEST_BUILD_DIR=build /usr/bin/python3 -m pytest -q tests/python/test_cli.py
import fcntl
import json
import os
import re
import select
import signal
import struct
import subprocess
import tempfile
import termios
import time

import pytest

BUILD = os.environ.get("BERTH_TEST_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
CLI = os.environ.get("BERTH_CLI", os.path.join(BUILD, "bin", "berth"))

COMMANDS = ["run", "create", "start", "stop", "kill", "rm", "ps", "logs", "exec", "attach", "wait",
            "inspect", "info", "version"]


# ----------------------------------------------------------------- helpers

def argv(cli, *args):
    return [CLI, "--root", cli.root, "--run-root", cli.run_root] + list(args)


def wait_for(cond, timeout=10.0, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def state(cli, name):
    r = cli("inspect", name)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout)[0]["status"]


def running(cli, name):
    return state(cli, name) == "running"


class Pty:
    """The CLI run on a pseudo-terminal of 30 rows x 100 columns, as from a shell."""

    def __init__(self, cli, *args, rows=30, cols=100):
        self.master, slave = os.openpty()
        self.slave = slave
        self.resize(rows, cols)
        self.proc = subprocess.Popen(argv(cli, *args), stdin=slave, stdout=slave, stderr=slave,
                                     start_new_session=True)
        self.buf = b""

    def resize(self, rows, cols):
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def send(self, data):
        os.write(self.master, data)

    def expect(self, pattern, timeout=15):
        """Reads until pattern (bytes, a regex) appears in the output since the last match."""
        rx = re.compile(pattern)
        end = time.time() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            left = end - time.time()
            if left <= 0:
                raise AssertionError("expected %r, got %r" % (pattern, self.buf))
            r, _, _ = select.select([self.master], [], [], min(left, 0.2))
            if r:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    data = b""
                if not data:
                    if self.proc.poll() is not None:
                        raise AssertionError("exited %s before %r; output %r" % (self.proc.returncode, pattern, self.buf))
                    time.sleep(0.05)
                self.buf += data

    def wait(self, timeout=15):
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.close()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass
        self.master = self.slave = -1


@pytest.fixture
def cleanup(cli):
    """Names of containers to force-remove after the test, whatever happened."""
    names = []
    yield names
    for n in names:
        cli("rm", "-f", n)


def sh_prompt(p):
    p.expect(rb"# ")


# -------------------------------------------------------------- help, usage

def test_help_top_level(cli):
    r = cli("--help")
    assert r.returncode == 0
    assert "Usage:" in r.stdout
    for c in COMMANDS:
        assert c in r.stdout


@pytest.mark.parametrize("cmd", COMMANDS)
def test_help_each_command(cli, cmd):
    r = cli(cmd, "--help")
    assert r.returncode == 0, r.stderr
    assert ("berth " + cmd) in r.stdout
    assert "Options:" in r.stdout
    assert r.stderr == ""


def test_help_command(cli):
    r = cli("help", "ps")
    assert r.returncode == 0
    assert "berth ps" in r.stdout


def test_version(cli):
    r = cli("--version")
    assert r.returncode == 0
    assert re.search(r"\d+\.\d+\.\d+", r.stdout)


def test_unknown_flag_is_a_usage_error(cli, rootfs):
    r = cli("run", "--bogus", "--rootfs", rootfs, "true")
    assert r.returncode == 125
    assert "--bogus" in r.stderr
    r = cli("ps", "-z")
    assert r.returncode == 125
    assert "'z'" in r.stderr


def test_flag_missing_its_value(cli):
    r = cli("run", "--name")
    assert r.returncode == 125
    assert "--name" in r.stderr


def test_unknown_command(cli):
    r = cli("frobnicate")
    assert r.returncode == 125
    assert "frobnicate" in r.stderr


def test_run_requires_an_image_or_rootfs(cli):
    r = cli("run")
    assert r.returncode == 125
    assert "IMAGE" in r.stderr and "--rootfs" in r.stderr
    # an operand without --rootfs is an image: a missing one says how to get one
    r = cli("run", "true")
    assert r.returncode == 125
    assert "image 'true' not found" in r.stderr and "--rootfs" in r.stderr


def test_run_rootfs_missing(cli):
    r = cli("run", "--rm", "--rootfs", "/nonexistent/rootfs", "true")
    assert r.returncode == 125
    assert "/nonexistent/rootfs" in r.stderr


def test_bad_values_name_the_flag(cli, rootfs):
    for args, flag in ((["--ulimit", "nofile"], "--ulimit"), (["--network", "no/such"], "--network"),
                       (["--security-opt", "apparmor=foo"], "--security-opt"), (["--shm-size", "lots"], "--shm-size"),
                       (["--userns-uidmap", "x"], "--userns-uidmap")):
        r = cli("run", "--rm", *args, "--rootfs", rootfs, "true")
        assert r.returncode == 125, args
        assert flag in r.stderr, (args, r.stderr)
    r = cli("kill", "-s", "NOSUCHSIG", "x")
    assert r.returncode == 125
    assert "NOSUCHSIG" in r.stderr
    r = cli("stop", "-t", "soon", "x")
    assert r.returncode == 125
    # found by fuzzing (tests/fuzz/corpus/sizes/regress-duration-overflow):
    # seconds beyond int64 milliseconds were an overflow, not an error
    for t in ("5030092115030092192", "1e300"):
        r = cli("stop", "-t", t, "x")
        assert r.returncode == 125 and "--time" in r.stderr, (t, r.stderr)


# ---------------------------------------------------------------- run basics

def test_run_is_pid_1(cli, rootfs):
    r = cli("run", "--rm", "--rootfs", rootfs, "sh", "-c", "echo $$")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1"


def test_flags_stop_at_the_command(cli, rootfs):
    r = cli("run", "--rm", "--rootfs", rootfs, "sh", "-c", "echo $0 $1", "--rm", "-d")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "--rm -d"


def test_exit_code_propagates(cli, rootfs):
    r = cli("run", "--rm", "--rootfs", rootfs, "sh", "-c", "exit 3")
    assert r.returncode == 3


def test_killed_by_signal_exits_128_plus_n(cli, rootfs):
    p = subprocess.Popen(argv(cli, "run", "--rm", "--name", "victim", "--rootfs", rootfs, "sleep", "100"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: running(cli, "victim"), what="the container to run")
        r = cli("kill", "victim")
        assert r.returncode == 0, r.stderr
        assert p.wait(timeout=15) == 137
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
            cli("rm", "-f", "victim")


def test_sigterm_is_forwarded_when_attached(cli, rootfs):
    p = subprocess.Popen(argv(cli, "run", "--rm", "--name", "fwd", "--rootfs", rootfs, "sh", "-c",
                              "trap 'echo got-term; exit 5' TERM; echo ready; while :; do sleep 0.1; done"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=15)
        assert p.returncode == 5, err
        assert "got-term" in out
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
            cli("rm", "-f", "fwd")


def test_command_not_found_is_127(cli, rootfs):
    r = cli("run", "--rm", "--rootfs", rootfs, "/no/such/binary")
    assert r.returncode == 127
    assert "/no/such/binary" in r.stderr
    r = cli("run", "--rm", "--rootfs", rootfs, "nosuchcommand")
    assert r.returncode == 127
    assert "nosuchcommand" in r.stderr


def test_command_not_executable_is_126(cli, rootfs):
    r = cli("run", "--rm", "--rootfs", rootfs, "/etc/passwd")
    assert r.returncode == 126
    assert "/etc/passwd" in r.stderr


def test_stdin_only_with_interactive(cli, rootfs):
    r = cli("run", "--rm", "-i", "--rootfs", rootfs, "sh", "-c", "read x; echo got-$x", input="abc\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "got-abc"
    r = cli("run", "--rm", "--rootfs", rootfs, "cat", input="not passed\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""


def test_stderr_is_separate(cli, rootfs):
    r = cli("run", "--rm", "--rootfs", rootfs, "sh", "-c", "echo out; echo err >&2")
    assert r.stdout == "out\n"
    assert r.stderr == "err\n"


def test_hostname(cli, rootfs):
    r = cli("run", "--rm", "--hostname", "box1", "--rootfs", rootfs, "hostname")
    assert r.stdout.strip() == "box1"
    r = cli("run", "--rm", "--rootfs", rootfs, "hostname")
    assert r.stdout.strip() == "berth"


def test_env(cli, rootfs, tmp_path):
    env_file = str(tmp_path / "env.list")
    with open(env_file, "w") as f:
        f.write("# comment\nFROM_FILE=1\nBOTH=file\n\n")
    os.environ["BERTH_TEST_PASSED"] = "from-host"
    try:
        r = cli("run", "--rm", "--env-file", env_file, "-e", "FOO=bar baz", "-e", "BOTH=flag",
                "-e", "BERTH_TEST_PASSED", "--rootfs", rootfs,
                "sh", "-c", 'echo "$FOO|$FROM_FILE|$BOTH|$BERTH_TEST_PASSED|$PATH"')
    finally:
        del os.environ["BERTH_TEST_PASSED"]
    assert r.returncode == 0, r.stderr
    foo, ff, both, passed, path = r.stdout.strip().split("|")
    assert (foo, ff, both, passed) == ("bar baz", "1", "flag", "from-host")
    assert "/bin" in path


def test_workdir(cli, rootfs):
    r = cli("run", "--rm", "-w", "/tmp", "--rootfs", rootfs, "pwd")
    assert r.stdout.strip() == "/tmp"


def test_user(cli, rootfs):
    r = cli("run", "--rm", "-u", "1000:1000", "--rootfs", rootfs, "sh", "-c", "id -u; id -g")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1000", "1000"]
    r = cli("run", "--rm", "-u", "nobody", "--rootfs", rootfs, "sh", "-c", "id -u; id -g")
    assert r.stdout.split() == ["65534", "65534"]
    r = cli("run", "--rm", "-u", "nosuchuser", "--rootfs", rootfs, "true")
    assert r.returncode == 125
    assert "nosuchuser" in r.stderr


def test_read_only_rootfs(cli, rootfs):
    r = cli("run", "--rm", "--read-only", "--rootfs", rootfs, "touch", "/newfile")
    assert r.returncode != 0
    assert "Read-only file system" in r.stderr
    assert not os.path.exists(os.path.join(rootfs, "newfile"))


def test_volumes(cli, rootfs):
    with tempfile.TemporaryDirectory(prefix="berth-vol-") as d:
        with open(os.path.join(d, "in"), "w") as f:
            f.write("host-data\n")
        r = cli("run", "--rm", "-v", d + ":/data:ro", "--rootfs", rootfs, "sh", "-c", "cat /data/in; touch /data/x")
        assert "host-data" in r.stdout
        assert r.returncode != 0
        assert "Read-only" in r.stderr
        assert not os.path.exists(os.path.join(d, "x"))
        r = cli("run", "--rm", "-v", d + ":/data", "--rootfs", rootfs, "sh", "-c", "echo written > /data/out")
        assert r.returncode == 0, r.stderr
        with open(os.path.join(d, "out")) as f:
            assert f.read() == "written\n"


def test_tmpfs_and_shm_size(cli, rootfs):
    r = cli("run", "--rm", "--tmpfs", "/scratch:size=1m", "--shm-size", "2m", "--rootfs", rootfs,
            "sh", "-c", "grep -E ' /(scratch|dev/shm) ' /proc/mounts")
    assert r.returncode == 0, r.stderr
    assert re.search(r"/scratch tmpfs .*size=1024k", r.stdout), r.stdout
    assert re.search(r"/dev/shm tmpfs .*size=2048k", r.stdout), r.stdout


def cap_eff(text):
    return int(re.search(r"CapEff:\s*([0-9a-f]+)", text).group(1), 16)


def full_caps():
    """Every capability this host can give: our bounding set (a container
    host may have dropped some, as Docker's "ALL" then does)."""
    with open("/proc/self/status") as f:
        return int(re.search(r"CapBnd:\s*([0-9a-f]+)", f.read()).group(1), 16)


def test_default_security(cli, rootfs):
    r = cli("run", "--rm", "--rootfs", rootfs, "cat", "/proc/self/status")
    assert r.returncode == 0, r.stderr
    caps = cap_eff(r.stdout)
    assert caps != 0 and caps != full_caps()
    assert caps & (1 << 12) == 0  # no CAP_NET_ADMIN by default
    assert re.search(r"NoNewPrivs:\s*1", r.stdout)
    assert re.search(r"Seccomp:\s*2", r.stdout)


def test_cap_drop_all(cli, rootfs):
    r = cli("run", "--rm", "--cap-drop", "ALL", "--rootfs", rootfs, "cat", "/proc/self/status")
    assert r.returncode == 0, r.stderr
    assert cap_eff(r.stdout) == 0


def test_cap_add(cli, rootfs):
    r = cli("run", "--rm", "--cap-drop", "ALL", "--cap-add", "NET_ADMIN", "--rootfs", rootfs, "cat", "/proc/self/status")
    assert r.returncode == 0, r.stderr
    assert cap_eff(r.stdout) == 1 << 12


def test_privileged(cli, rootfs):
    r = cli("run", "--rm", "--privileged", "--rootfs", rootfs, "cat", "/proc/self/status")
    assert r.returncode == 0, r.stderr
    assert cap_eff(r.stdout) == full_caps()
    assert re.search(r"Seccomp:\s*0", r.stdout)


def test_seccomp_unconfined_and_no_new_privileges(cli, rootfs):
    r = cli("run", "--rm", "--security-opt", "seccomp=unconfined", "--security-opt", "no-new-privileges=false",
            "--rootfs", rootfs, "cat", "/proc/self/status")
    assert r.returncode == 0, r.stderr
    assert re.search(r"Seccomp:\s*0", r.stdout)
    assert re.search(r"NoNewPrivs:\s*0", r.stdout)


def test_network_none_and_host(cli, rootfs):
    r = cli("run", "--rm", "--network", "none", "--rootfs", rootfs, "ls", "/sys/class/net")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["lo"]
    r = cli("run", "--rm", "--network", "host", "--rootfs", rootfs, "ls", "/sys/class/net")
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.split()) == sorted(os.listdir("/sys/class/net"))


def test_ulimit_and_sysctl(cli, rootfs):
    r = cli("run", "--rm", "--ulimit", "nofile=100:200", "--sysctl", "net.ipv4.ip_forward=1", "--rootfs", rootfs,
            "sh", "-c", "ulimit -n; ulimit -Hn; cat /proc/sys/net/ipv4/ip_forward")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["100", "200", "1"]


def test_userns_maps(cli, rootfs):
    # An identity map: the rootfs (owned by the host's root) stays usable.
    r = cli("run", "--rm", "--userns-uidmap", "0:0:65536", "--userns-gidmap", "0:0:65536",
            "--rootfs", rootfs, "sh", "-c", "cat /proc/self/uid_map; id -u; readlink /proc/self/ns/user")
    assert r.returncode == 0, r.stderr
    out = r.stdout.split()
    assert out[:4] == ["0", "0", "65536", "0"]
    assert out[4] != os.readlink("/proc/self/ns/user")  # a user namespace of its own


def test_without_rm_the_container_stays(cli, rootfs):
    r = cli("run", "--name", "kept", "--rootfs", rootfs, "sh", "-c", "exit 2")
    assert r.returncode == 2
    r = cli("ps", "-a")
    assert "kept" in r.stdout
    assert "Exited (2)" in r.stdout
    assert cli("ps").stdout.count("\n") == 1  # the header only: nothing runs
    assert cli("rm", "kept").returncode == 0
    assert "kept" not in cli("ps", "-a").stdout


def test_name_conflict(cli, rootfs):
    assert cli("run", "--name", "twin", "--rootfs", rootfs, "true").returncode == 0
    try:
        r = cli("run", "--rm", "--name", "twin", "--rootfs", rootfs, "true")
        assert r.returncode == 125
        assert "twin" in r.stderr
    finally:
        cli("rm", "-f", "twin")


# ------------------------------------------------------------- detached life

def test_detached_lifecycle(cli, rootfs, cleanup):
    cleanup.append("web")
    r = cli("run", "-d", "--name", "web", "--rootfs", rootfs, "sh", "-c", "echo hello-log; echo to-stderr >&2; sleep 100")
    assert r.returncode == 0, r.stderr
    cid = r.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", cid)

    ps = cli("ps")
    assert ps.returncode == 0
    header, line = ps.stdout.splitlines()
    assert header.split() == ["CONTAINER", "ID", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
    assert line.startswith(cid[:12] + " ")
    assert re.search(r"\bUp\b", line)
    assert line.rstrip().endswith("web")
    assert '"sh -c echo hello-lo…"' in line  # 20 characters, as Docker truncates

    rows = [json.loads(l) for l in cli("ps", "--format", "json").stdout.splitlines()]
    assert len(rows) == 1
    assert rows[0]["ID"] == cid[:12] and rows[0]["Names"] == "web" and rows[0]["State"] == "running"
    assert cli("ps", "-q").stdout.split() == [cid[:12]]
    assert cli("ps", "-q", "--no-trunc").stdout.split() == [cid]
    assert cli("ps", "--format", "{{.Names}}:{{.State}}").stdout.strip() == "web:running"

    logs = wait_for(lambda: (lambda r: r if "to-stderr" in r.stderr else None)(cli("logs", "web")), what="logs")
    assert "hello-log" in logs.stdout and "to-stderr" in logs.stderr  # each stream to its own

    r = cli("stop", "-t", "1", "web")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "web"
    assert cli("ps", "-q").stdout == ""
    line = cli("ps", "-a").stdout.splitlines()[1]
    assert re.search(r"Exited \((137|143)\) .* ago", line), line
    rows = [json.loads(l) for l in cli("ps", "-a", "--format", "json").stdout.splitlines()]
    assert rows[0]["State"] == "exited"

    r = cli("rm", "web")
    assert r.returncode == 0, r.stderr
    assert cli("ps", "-a", "-q").stdout == ""


def test_id_prefix_and_name(cli, rootfs, cleanup):
    cleanup.append("pfx")
    cid = cli("run", "-d", "--name", "pfx", "--rootfs", rootfs, "sleep", "100").stdout.strip()
    for ref in (cid, cid[:12], cid[:5], "pfx"):
        r = cli("inspect", ref)
        assert r.returncode == 0, (ref, r.stderr)
        assert json.loads(r.stdout)[0]["id"] == cid
    assert cli("rm", "-f", cid[:8]).returncode == 0


def test_rm_running_is_refused(cli, rootfs, cleanup):
    cleanup.append("busy")
    assert cli("run", "-d", "--name", "busy", "--rootfs", rootfs, "sleep", "100").returncode == 0
    r = cli("rm", "busy")
    assert r.returncode == 125
    assert "running" in r.stderr and "busy" in r.stderr
    assert running(cli, "busy")
    r = cli("rm", "-f", "busy")
    assert r.returncode == 0, r.stderr
    assert cli("ps", "-a", "-q").stdout == ""


def test_detached_rm(cli, rootfs):
    r = cli("run", "-d", "--rm", "--rootfs", rootfs, "sh", "-c", "sleep 0.5")
    assert r.returncode == 0, r.stderr
    wait_for(lambda: cli("ps", "-a", "-q").stdout == "", what="the --rm container to go away")


def test_detached_exits_at_once(cli, rootfs, cleanup):
    """run -d of a command that is done before the CLI looks again (the
    monitor starts it): still a success, its exit and output recorded."""
    cleanup.append("quick")
    for _ in range(5):
        r = cli("run", "-d", "--name", "quick", "--rootfs", rootfs, "sh", "-c", "echo quick-out; exit 3")
        assert r.returncode == 0, r.stderr
        assert re.fullmatch(r"[0-9a-f]{64}\n", r.stdout)
        assert cli("wait", "quick").stdout.strip() == "3"
        assert cli("logs", "quick").stdout == "quick-out\n"
        assert cli("rm", "quick").returncode == 0
        r = cli("run", "-d", "--rm", "--rootfs", rootfs, "/bin/true")
        assert r.returncode == 0, r.stderr
        wait_for(lambda: cli("ps", "-a", "-q").stdout == "", what="the --rm container to go away")


def test_create_and_start(cli, rootfs, cleanup):
    cleanup.append("made")
    r = cli("create", "--name", "made", "--rootfs", rootfs, "sh", "-c", "echo started-now; exit 6")
    assert r.returncode == 0, r.stderr
    cid = r.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", cid)
    assert "Created" in cli("ps", "-a").stdout
    assert cli("ps", "-q").stdout == ""
    assert cli("logs", "made").stdout == ""
    r = cli("start", "made")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "made"
    r = cli("wait", "made")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "6"
    assert "started-now" in cli("logs", "made").stdout
    assert "Exited (6)" in cli("ps", "-a").stdout
    assert cli("rm", "made").returncode == 0


def test_start_attach(cli, rootfs, cleanup):
    cleanup.append("sa")
    assert cli("create", "--name", "sa", "--rootfs", rootfs, "sh", "-c", "echo attached-out; exit 4").returncode == 0
    r = cli("start", "-a", "sa")
    assert r.returncode == 4, r.stderr
    assert "attached-out" in r.stdout


def test_rm_created_container(cli, rootfs):
    assert cli("create", "--name", "never", "--rootfs", rootfs, "true").returncode == 0
    r = cli("rm", "never")
    assert r.returncode == 0, r.stderr
    assert cli("ps", "-a", "-q").stdout == ""


def test_wait_prints_exit_codes(cli, rootfs, cleanup):
    cleanup += ["w1", "w2"]
    cli("run", "-d", "--name", "w1", "--rootfs", rootfs, "sh", "-c", "sleep 0.5; exit 9")
    cli("run", "-d", "--name", "w2", "--rootfs", rootfs, "true")
    r = cli("wait", "w1", "w2")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["9", "0"]


def test_kill_with_signal(cli, rootfs, cleanup):
    cleanup.append("k")
    cli("run", "-d", "--name", "k", "--rootfs", rootfs, "sh", "-c", "trap 'exit 3' TERM; while :; do sleep 0.1; done")
    wait_for(lambda: running(cli, "k"))
    time.sleep(0.3)  # the trap is set
    r = cli("kill", "-s", "SIGTERM", "k")
    assert r.returncode == 0, r.stderr
    assert cli("wait", "k").stdout.strip() == "3"
    r = cli("kill", "k")
    assert r.returncode == 125
    assert "not running" in r.stderr


def test_logs_follow_until_exit(cli, rootfs, cleanup):
    cleanup.append("f")
    cli("run", "-d", "--name", "f", "--rootfs", rootfs, "sh", "-c", "echo one; sleep 1; echo two")
    r = cli("logs", "-f", "f", timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["one", "two"]
    assert cli("logs", "--tail", "1", "f").stdout == "two\n"


def test_logs_of_attached_container(cli, rootfs, cleanup):
    # an attached run keeps a log too (as Docker's), its output still ours
    cleanup.append("att")
    r = cli("run", "--name", "att", "--rootfs", rootfs, "sh", "-c", "echo seen; echo err >&2")
    assert (r.returncode, r.stdout, r.stderr) == (0, "seen\n", "err\n")
    r = cli("logs", "att")
    assert (r.returncode, r.stdout, r.stderr) == (0, "seen\n", "err\n")
    # with --log-driver none: no log, and logs says so
    cleanup.append("quiet")
    assert cli("run", "--name", "quiet", "--log-driver", "none", "--rootfs", rootfs, "echo", "x").stdout == "x\n"
    r = cli("logs", "quiet")
    assert r.returncode == 125
    assert "no log" in r.stderr and '"none"' in r.stderr


def test_exec(cli, rootfs, cleanup):
    cleanup.append("ex")
    assert cli("run", "-d", "--name", "ex", "--rootfs", rootfs, "sleep", "100").returncode == 0
    wait_for(lambda: running(cli, "ex"))
    r = cli("exec", "ex", "ps")
    assert r.returncode == 0, r.stderr
    pids = {l.split()[0]: l for l in r.stdout.splitlines()[1:]}
    assert "sleep 100" in pids["1"]  # the same pid namespace
    r = cli("exec", "ex", "sh", "-c", "exit 4")
    assert r.returncode == 4
    r = cli("exec", "-u", "1000:1000", "-w", "/tmp", "-e", "X=y", "ex", "sh", "-c", 'echo $(id -u) $(pwd) $X')
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1000", "/tmp", "y"]
    r = cli("exec", "-i", "ex", "cat", input="through-stdin\n")
    assert r.stdout == "through-stdin\n"
    r = cli("exec", "ex", "nosuchcmd")
    assert r.returncode == 127
    assert "nosuchcmd" in r.stderr
    r = cli("exec", "-d", "ex", "sh", "-c", "echo bg > /tmp/bg")
    assert r.returncode == 0, r.stderr
    wait_for(lambda: cli("exec", "ex", "cat", "/tmp/bg").stdout == "bg\n", what="exec -d")


def test_exec_not_running(cli, rootfs, cleanup):
    cleanup.append("stopped")
    cli("run", "--name", "stopped", "--rootfs", rootfs, "true")
    r = cli("exec", "stopped", "true")
    assert r.returncode == 125
    assert re.search(r"stopped|not running", r.stderr), r.stderr


def test_inspect(cli, rootfs, cleanup):
    cleanup += ["i1", "i2"]
    c1 = cli("run", "-d", "--name", "i1", "--rootfs", rootfs, "sleep", "100").stdout.strip()
    cli("run", "--name", "i2", "--rootfs", rootfs, "sh", "-c", "exit 5")
    r = cli("inspect", "i1", "i2")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert [d["name"] for d in data] == ["i1", "i2"]
    assert data[0]["id"] == c1
    assert data[0]["status"] == "running" and data[0]["pid"] > 0
    assert data[0]["config"]["process"]["args"] == ["sleep", "100"]
    assert data[1]["status"] == "stopped" and data[1]["exitCode"] == 5
    for k in ("created", "started", "finished"):
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", data[1][k]), k
    r = cli("inspect", "-f", "{{.name}} {{.status}} {{json .config.process.args}}", "i1")
    assert r.stdout.strip() == 'i1 running ["sleep","100"]'


def test_unknown_container(cli):
    for args in (["stop"], ["kill"], ["rm"], ["rm", "-f"], ["logs"], ["inspect"], ["wait"], ["start"],
                 ["attach"], ["exec", "--"]):
        r = cli(*(args + ["nosuchcontainer"] + (["true"] if args[0] == "exec" else [])))
        assert r.returncode == 125, args
        # inspect takes containers and images, and says so as Docker does
        want = "no such object" if args == ["inspect"] else "no such container"
        assert want + ": nosuchcontainer" in r.stderr, (args, r.stderr)


def test_info(cli):
    r = cli("info")
    assert r.returncode == 0, r.stderr
    assert cli.root in r.stdout and cli.run_root in r.stdout
    assert os.uname().release in r.stdout
    info = json.loads(cli("info", "--format", "json").stdout)
    assert info["Root"] == cli.root and info["RunRoot"] == cli.run_root
    assert info["Containers"] == 0
    assert info["KernelVersion"] == os.uname().release


def test_roots_from_environment(roots, rootfs):
    root, run_root = roots
    env = dict(os.environ, BERTH_ROOT=root, BERTH_RUN_ROOT=run_root)
    r = subprocess.run([CLI, "info", "--format", "json"], env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert (info["Root"], info["RunRoot"]) == (root, run_root)


# -------------------------------------------------------------- terminals

def test_run_interactive_tty(cli, rootfs):
    p = Pty(cli, "run", "-it", "--rm", "--rootfs", rootfs, "sh")
    try:
        sh_prompt(p)
        p.send(b"echo hi-$((1+1))\n")
        p.expect(rb"hi-2")
        sh_prompt(p)
        p.send(b"stty size; tty\n")
        p.expect(rb"30 100\r\n")
        p.expect(rb"/dev/(console|pts/\d+)")
        sh_prompt(p)
        p.resize(40, 120)
        p.proc.send_signal(signal.SIGWINCH)
        time.sleep(0.3)
        p.send(b"stty size\n")
        p.expect(rb"40 120\r\n")
        sh_prompt(p)
        p.send(b"exit 7\n")
        assert p.wait() == 7
    finally:
        p.close()


def test_run_tty_keeps_a_log(cli, rootfs, cleanup):
    """`run -it` without --rm keeps a log, as Docker's does: the monitor holds
    the terminal and relays it to us, logging what the container writes
    (window size, keys and the exit code pass through)."""
    cleanup.append("ttylog")
    p = Pty(cli, "run", "-it", "--name", "ttylog", "--rootfs", rootfs, "sh")
    try:
        sh_prompt(p)
        p.send(b"stty size; echo logged-$((40+2))\n")
        p.expect(rb"30 100\r\n")
        p.expect(rb"logged-42")
        sh_prompt(p)
        p.resize(40, 120)
        p.proc.send_signal(signal.SIGWINCH)
        time.sleep(0.3)
        p.send(b"stty size\n")
        p.expect(rb"40 120\r\n")
        sh_prompt(p)
        p.send(b"exit 5\n")
        assert p.wait() == 5
    finally:
        p.close()
    logs = cli("logs", "ttylog").stdout
    assert "logged-42" in logs and "30 100" in logs, logs
    assert cli("rm", "ttylog").returncode == 0


def test_run_tty_ctrl_c(cli, rootfs):
    # Ctrl-C is a byte in raw mode; the container's terminal makes it SIGINT
    # for its foreground process (as in Docker, pid 1 itself ignores it).
    p = Pty(cli, "run", "-it", "--rm", "--rootfs", rootfs, "sh", "-c", "echo sleeping; sleep 100; exit $?")
    try:
        p.expect(rb"sleeping")
        time.sleep(0.3)
        p.send(b"\x03")
        assert p.wait(timeout=15) == 130
    finally:
        p.close()


def test_run_tty_ctrl_c_in_shell(cli, rootfs):
    p = Pty(cli, "run", "-it", "--rm", "--rootfs", rootfs, "sh")
    try:
        sh_prompt(p)
        p.send(b"sleep 100\n")
        time.sleep(0.5)
        p.send(b"\x03")
        sh_prompt(p)
        p.send(b"echo status=$?\n")
        p.expect(rb"status=130")
        p.send(b"exit\n")
        assert p.wait() == 0
    finally:
        p.close()


def test_terminal_restored(cli, rootfs):
    p = Pty(cli, "run", "-it", "--rm", "--rootfs", rootfs, "sh", "-c", "exit 0")
    try:
        before = termios.tcgetattr(p.slave)
        assert p.proc.wait(timeout=15) == 0
        assert termios.tcgetattr(p.slave) == before
    finally:
        p.close()


def test_it_without_a_terminal(cli, rootfs):
    r = cli("run", "-it", "--rm", "--rootfs", rootfs, "sh", input="echo piped-$((2+3))\nexit 4\n")
    assert r.returncode == 4, r.stderr
    assert "piped-5" in r.stdout


def test_tty_without_interactive(cli, rootfs):
    r = subprocess.run(argv(cli, "run", "-t", "--rm", "--rootfs", rootfs, "sh", "-c", "tty; echo line"),
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert b"line\r\n" in r.stdout  # through a terminal: CR LF


def test_exec_tty(cli, rootfs, cleanup):
    cleanup.append("ext")
    cli("run", "-d", "--name", "ext", "--rootfs", rootfs, "sleep", "100")
    wait_for(lambda: running(cli, "ext"))
    p = Pty(cli, "exec", "-it", "ext", "sh")
    try:
        sh_prompt(p)
        p.send(b"tty; stty size\n")
        p.expect(rb"/dev/pts/\d+")
        p.expect(rb"30 100")
        p.send(b"exit 3\n")
        assert p.wait() == 3
    finally:
        p.close()


def test_attach_and_detach(cli, rootfs, cleanup):
    cleanup.append("tt")
    r = cli("run", "-dit", "--name", "tt", "--rootfs", rootfs, "sh")
    assert r.returncode == 0, r.stderr
    wait_for(lambda: running(cli, "tt"))
    p = Pty(cli, "attach", "tt")
    try:
        p.send(b"echo attached-$((3*3))\n")
        p.expect(rb"attached-9")
        p.send(b"\x10\x11")  # Ctrl-P Ctrl-Q
        assert p.wait() == 0
    finally:
        p.close()
    assert running(cli, "tt")
    p = Pty(cli, "attach", "tt")
    try:
        p.send(b"exit 3\n")
        assert p.wait() == 3
    finally:
        p.close()
    assert cli("wait", "tt").stdout.strip() == "3"
