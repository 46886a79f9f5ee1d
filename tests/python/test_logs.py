# Container logs as a user sees them: `berth logs` (streams apart, -t, --tail,
# --since/--until, -f, --log-driver none, --log-opt rotation, binary output)
# and Container.logs() in Python. Every test uses its own roots (conftest's
# `roots` checks that no container, mount or monitor is left).
#
#   BERTH_LIBRARY=build/lib/libberth.so.0 PYTHONPATH=bindings/python BERTH_TEST_BUILD_DIR=build \
#   BERTH_CLI=build/bin/berth /usr/bin/python3 -m pytest -q tests/python/test_logs.py
import datetime
import os
import re
import subprocess
import time

import pytest

import berth

BUILD = os.environ.get("BERTH_TEST_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
CLI = os.environ.get("BERTH_CLI", os.path.join(BUILD, "bin", "berth"))
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ")


def raw(cli, *args, timeout=60):
    """The CLI with bytes output."""
    return subprocess.run([CLI, "--root", cli.root, "--run-root", cli.run_root] + list(args), capture_output=True,
                          timeout=timeout)


def run_detached(cli, rootfs, name, script, *opts):
    r = cli("run", "-d", "--name", name, *opts, "--rootfs", rootfs, "sh", "-c", script)
    assert r.returncode == 0, r.stderr
    assert cli("wait", name, timeout=60).stdout.strip() == "0"


def test_cli_streams_timestamps_tail_since_until(cli, rootfs):
    run_detached(cli, rootfs, "s", "echo out1; echo err1 >&2; sleep 0.4; echo out2; echo err2 >&2")
    r = cli("logs", "s")
    assert (r.returncode, r.stdout, r.stderr) == (0, "out1\nout2\n", "err1\nerr2\n")
    r = cli("logs", "-t", "s")
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and all(TS.match(l) for l in lines), r.stdout
    assert [l.split(" ", 1)[1] for l in lines] == ["out1", "out2"]
    times = [l.split(" ", 1)[0] for l in lines]
    assert times == sorted(times) and times[0] != times[1]
    # --since the second line's time: only what came then; --until the first's: only before
    assert cli("logs", "--since", times[1], "s").stdout == "out2\n"
    assert cli("logs", "--until", times[0], "s").stdout == "out1\n"
    # the last lines of both streams together (the last one was err2)
    r = cli("logs", "--tail", "1", "s")
    assert (r.stdout, r.stderr) == ("", "err2\n")
    r = cli("logs", "--tail", "2", "s")
    assert (r.stdout, r.stderr) == ("out2\n", "err2\n")
    r = cli("logs", "--tail", "0", "s")
    assert (r.stdout, r.stderr) == ("", "")
    # relative times and unix seconds, as docker logs
    assert cli("logs", "--since", "1h", "s").stdout == "out1\nout2\n"
    assert cli("logs", "--until", "1h", "s").stdout == ""
    assert cli("logs", "--since", str(int(time.time()) + 60), "s").stdout == ""
    r = cli("logs", "--since", "yesterday", "s")
    assert r.returncode == 125 and "yesterday" in r.stderr
    assert cli("rm", "s").returncode == 0
    assert os.listdir(os.path.join(cli.root, "containers")) == []


def test_cli_follow_ends_when_the_container_exits(cli, rootfs):
    assert cli("run", "-d", "--name", "f", "--rootfs", rootfs, "sh", "-c",
               "echo one; sleep 1.5; echo two; sleep 0.5").returncode == 0
    p = subprocess.Popen([CLI, "--root", cli.root, "--run-root", cli.run_root, "logs", "-f", "f"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = p.stdout.readline()
    t_first = time.monotonic()
    assert first == b"one\n"
    second = p.stdout.readline()
    assert second == b"two\n" and time.monotonic() - t_first > 0.8  # written later, followed
    out, err = p.communicate(timeout=20)  # ends once the container has exited
    assert p.returncode == 0 and out == b"", err
    assert cli("rm", "f").returncode == 0


def test_cli_binary_and_partial_lines_byte_identical(cli, rootfs):
    run_detached(cli, rootfs, "b", r"printf 'nul\000 ff\377 fe\376\n'; printf 'no newline'")
    r = raw(cli, "logs", "b")
    assert r.stdout == b"nul\x00 ff\xff fe\xfe\nno newline"
    assert cli("rm", "b").returncode == 0


def test_cli_rotation_keeps_the_newest(cli, rootfs):
    run_detached(cli, rootfs, "r", "timeout 1 yes abcdefghijklmnop; seq 1 20000",
                 "--log-opt", "max-size=32k", "--log-opt", "max-file=2")
    d = os.path.join(cli.root, "containers", os.listdir(os.path.join(cli.root, "containers"))[0])
    files = sorted(f for f in os.listdir(d) if f.startswith("container.log"))
    assert files == ["container.log", "container.log.1"]
    assert all(os.path.getsize(os.path.join(d, f)) <= 32768 for f in files)
    out = cli("logs", "r").stdout
    assert out.endswith("19999\n20000\n") and "abcdefghijklmnop" not in out
    assert cli("rm", "r").returncode == 0
    assert not os.path.exists(d)
    r = cli("run", "--log-opt", "max-size=1", "--rootfs", rootfs, "true")
    assert r.returncode == 125 and "max-size=1" in r.stderr
    r = cli("run", "--log-driver", "json-file", "--rootfs", rootfs, "true")
    assert r.returncode == 125 and "json-file" in r.stderr


def test_cli_driver_none(cli, rootfs):
    run_detached(cli, rootfs, "n", "echo hidden", "--log-driver", "none")
    r = cli("logs", "n")
    assert r.returncode == 125 and "no log" in r.stderr and '"none"' in r.stderr
    d = os.path.join(cli.root, "containers")
    assert not [f for c in os.listdir(d) for f in os.listdir(os.path.join(d, c)) if f.startswith("container.log")]
    assert cli("rm", "n").returncode == 0


def test_cli_attached_rm_leaves_nothing(cli, rootfs):
    r = cli("run", "--rm", "--rootfs", rootfs, "sh", "-c", "echo gone")
    assert (r.returncode, r.stdout) == (0, "gone\n")
    assert os.listdir(os.path.join(cli.root, "containers")) == []


def test_python_logs_iterator(roots, rootfs):
    root, run_root = roots
    with berth.Context(root=root, run_root=run_root) as ctx:
        with ctx.create(["sh", "-c", "echo a; echo e >&2; sleep 0.3; printf 'b\\000\\377'"], rootfs=rootfs,
                        network="none", detach=True, start=True) as c:
            assert c.wait(20) == 0
            recs = list(c.logs())
            assert [(r.stream, r.data, r.partial) for r in recs] == [
                ("stdout", b"a\n", False), ("stderr", b"e\n", False), ("stdout", b"b\x00\xff", True)]
            assert [r.time_ns for r in recs] == sorted(r.time_ns for r in recs)
            assert c.logs().read() == b"a\ne\nb\x00\xff"
            logs = c.logs()  # as logs() was: bytes-like membership
            assert b"a\n" in logs and b"e\n" in logs
            assert [r.data for r in c.logs(tail=1)] == [b"b\x00\xff"]
            t_b = recs[2].time_ns
            assert [r.data for r in c.logs(since=(t_b - 100_000_000) / 1e9)] == [b"b\x00\xff"]  # float seconds
            assert [r.data for r in c.logs(until=datetime.datetime.now() - datetime.timedelta(hours=1))] == []
            assert [r.data for r in c.logs(since="1h")] == [b"a\n", b"e\n", b"b\x00\xff"]
            stamped = list(c.logs(timestamps=True))
            assert all(TS.match(r.data.decode("latin-1")) for r in stamped)
            c.delete()


def test_python_follow_and_driver_none(roots, rootfs):
    root, run_root = roots
    with berth.Context(root=root, run_root=run_root) as ctx:
        with ctx.create(["sh", "-c", "echo 1; sleep 1; echo 2"], rootfs=rootfs, network="none", detach=True,
                        start=True) as c:
            got = [r.data for r in c.logs(follow=True)]  # ends when the container exits
            assert got == [b"1\n", b"2\n"]
            assert c.status == "stopped"
            c.delete()
        with ctx.create(["echo", "x"], rootfs=rootfs, network="none", detach=True, start=True,
                        log_driver="none") as c:
            c.wait(20)
            with pytest.raises(berth.Unsupported, match="none"):
                list(c.logs())
            c.delete()
        with ctx.create(["sh", "-c", "seq 1 3000"], rootfs=rootfs, network="none", detach=True, start=True,
                        log_max_size="8k", log_max_file=2) as c:
            c.wait(20)
            out = c.logs().read()
            assert out.endswith(b"2999\n3000\n") and not out.startswith(b"1\n")
            c.delete()


def test_cli_terminal_output_logged(cli, rootfs):
    # a detached container with a terminal: its output is logged (as stdout) while nobody is attached
    run_detached(cli, rootfs, "t", "echo tty-out; printf prompt", "-t")
    r = raw(cli, "logs", "t")
    assert (r.returncode, r.stdout, r.stderr) == (0, b"tty-out\r\nprompt", b"")
    assert cli("rm", "t").returncode == 0
