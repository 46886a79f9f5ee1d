"""Attacks from inside a container on the processes a Python program brings
into it with Container.exec(): the exec child is a copy of the Python
interpreter, so a container that reached /proc/PID/exe of it could overwrite
the host's python3 (here: a private copy of it). The attacker is the static
program of tests/security (attacker.c)."""
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

BUILD = os.environ.get("BERTH_TEST_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
ATTACKER = os.path.join(BUILD, "bin", "security_attacker")

# Run by a copy of the interpreter: the attacker tries to write to it.
DRIVER = textwrap.dedent(r"""
    import os, sys, time, berth
    root, run_root, rootfs, attacker, mode = sys.argv[1:6]
    ctx = berth.Context(root=root, run_root=run_root)
    r, w = os.pipe()
    c = ctx.create(["/attack/attacker", mode, "5", "/bin/busybox", "write"], rootfs=rootfs,
                   mounts=[(attacker, "/attack/attacker", "ro")], stdout=w, stderr=w)
    c.start()
    os.close(w)
    f = os.fdopen(r, "rb")
    assert f.readline() == b"ready\n"
    n, end = 0, time.monotonic() + 4.5
    while n < 300 and time.monotonic() < end:
        try:
            res = c.exec(["/bin/true"])
        except berth.StateError:
            break
        assert res.exit_code in (0, 137), res
        n += 1
    out = f.read().decode()
    c.wait(timeout=20)
    c.delete(force=True)
    print("execs=%d" % n)
    print(out)
""")


@pytest.mark.parametrize("mode", ["exe", "ptrace", "fd"])
def test_python_exec_child_is_sealed(roots, rootfs, tmp_path, mode):
    py = tmp_path / "python3-copy"
    shutil.copy2(os.path.realpath(sys.executable), py)
    before = py.read_bytes()
    drv = tmp_path / "driver.py"
    drv.write_text(DRIVER)
    root, run_root = roots
    p = subprocess.run([str(py), str(drv), root, run_root, rootfs, ATTACKER, mode], capture_output=True,
                       text=True, timeout=120, env=dict(os.environ, PYTHONHOME=sys.base_prefix))
    assert p.returncode == 0, p.stderr + p.stdout
    execs = int(re.search(r"execs=(\d+)", p.stdout).group(1))
    seen, leaks = map(int, re.search(r"seen=(\d+) leaks=(\d+)", p.stdout).groups())
    assert execs > 20, p.stdout
    assert leaks == 0, p.stdout[:3000]
    assert py.read_bytes() == before, "the container modified the host's python3"
    assert seen >= execs // 8, "the attack did not run: " + p.stdout


def test_cli_never_hands_in_a_host_file(cli, rootfs, tmp_path):
    """`berth run` and `berth exec` with stdout/stderr redirected to host files
    and stdin from the host's /dev/null: root inside chmods and chowns its
    stdio through /proc/self/fd; the host's files keep their mode and owner
    (the CLI relays them through pipes) and the output still arrives."""
    out, err = tmp_path / "out", tmp_path / "err"
    evil = ("for f in 0 1 2; do chmod 0666 /proc/self/fd/$f; chown 123:123 /proc/self/fd/$f; done; "
            "echo to-stdout; echo to-stderr >&2")
    null_before = os.stat("/dev/null")
    try:
        for args in (["run", "--rm", "--rootfs", rootfs, "sh", "-c", evil],
                     None):
            if args is None:
                cli("run", "-d", "--name", "victim", "--rootfs", rootfs, "sleep", "30", check=True)
                args = ["exec", "victim", "sh", "-c", evil]
            for f in (out, err):
                f.write_text("")
                os.chmod(f, 0o600)
            with open(out, "wb") as o, open(err, "wb") as e, open("/dev/null", "rb") as i:
                p = subprocess.run([cli_path(), "--root", cli.root, "--run-root", cli.run_root] + args,
                                   stdin=i, stdout=o, stderr=e, timeout=60)
            assert p.returncode == 0, err.read_text()
            assert out.read_text() == "to-stdout\n"
            assert err.read_text() == "to-stderr\n"
            for f in (out, err):
                st = os.stat(f)
                assert (st.st_mode & 0o777, st.st_uid, st.st_gid) == (0o600, 0, 0), f
            st = os.stat("/dev/null")
            assert (st.st_mode, st.st_uid, st.st_gid) == (null_before.st_mode, 0, 0)
    finally:
        st = os.stat("/dev/null")
        if (st.st_mode, st.st_uid) != (null_before.st_mode, null_before.st_uid):
            os.chown("/dev/null", 0, 0)
            os.chmod("/dev/null", null_before.st_mode & 0o7777)
        cli("rm", "-f", "victim")


def cli_path():
    return os.environ.get("BERTH_CLI", os.path.join(BUILD, "bin", "berth"))
