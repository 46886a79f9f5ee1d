# Tests of the Python bindings (bindings/python/berth) against the built libberth.
#
#   BERTH_LIBRARY=build/lib/libberth.so.0 PYTHONPATH=bindings/python \
#       /usr/bin/python3 -m pytest -q tests/python/test_bindings.py
#
# Fixtures (tests/python/conftest.py): rootfs (a busybox root), roots (fresh
# state roots, checked for leftovers afterwards).
import contextlib
import ctypes
import json
import os
import re
import select
import signal
import subprocess
import threading
import time

import pytest

import berth
from berth import _lib, namespace

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INCLUDE = os.path.join(SRC, "include")


@pytest.fixture
def ctx(roots):
    root, run_root = roots
    c = berth.Context(root=root, run_root=run_root)
    yield c
    c.close()


@contextlib.contextmanager
def created(ctx, *args, **kw):
    """ctx.create(...) that force-deletes the container however the test ends."""
    c = ctx.create(*args, **kw)
    try:
        yield c
    finally:
        try:
            c.delete(force=True)
        except berth.NotFound:
            pass
        c.close()


def sh(ctx, rootfs, script, **kw):
    kw.setdefault("capture_output", True)
    return ctx.run(["/bin/sh", "-c", script], rootfs=rootfs, **kw)


def library_path():
    """The file the bindings actually loaded (from /proc/self/maps)."""
    ctypes.cast(_lib.lib.berth_version, ctypes.c_void_p)  # make sure it is mapped
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and "libberth.so" in os.path.basename(parts[5]):
                return parts[5]
    raise AssertionError("libberth is not mapped")


def exported_symbols():
    out = subprocess.run(["nm", "-D", "--defined-only", library_path()], capture_output=True, text=True,
                         check=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[-1].startswith("berth"):
            names.add(parts[-1].split("@")[0])
    return names


def header_functions():
    names = set()
    for h in os.listdir(os.path.join(INCLUDE, "berth")):
        if h.endswith(".h"):
            with open(os.path.join(INCLUDE, "berth", h)) as f:
                text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
            names.update(re.findall(r"BERTH_EXTERN[^;(]*?\b(berth_\w+)\s*\(", text))
    return names


# ---------------------------------------------------------------- declarations

def test_version():
    with open(os.path.join(INCLUDE, "berth", "common.h")) as f:
        want = re.search(r'#define BERTH_VERSION_STRING "([^"]+)"', f.read()).group(1)
    assert berth.version() == want


def test_every_exported_function_is_declared():
    exported = exported_symbols()
    assert exported, "nm found no berth_ symbols in %s" % library_path()
    assert not {s for s in exported if s.startswith("berth__")}, "internal symbols exported"
    undeclared = sorted(exported - set(_lib.DECLARATIONS))
    assert not undeclared, "exported but without a ctypes declaration: %s" % undeclared


def test_every_declared_function_is_exported():
    assert _lib.MISSING == [], "declared in the bindings, missing from %s" % library_path()
    assert set(_lib.DECLARATIONS) <= exported_symbols()


def test_declarations_match_the_headers():
    in_headers = header_functions()
    assert len(in_headers) > 50
    assert sorted(in_headers - set(_lib.DECLARATIONS)) == [], "in include/berth but not declared"
    assert sorted(set(_lib.DECLARATIONS) - in_headers) == [], "declared but in no header"


def test_every_function_has_argtypes_and_restype():
    for name, (restype, argtypes, checked) in _lib.DECLARATIONS.items():
        f = getattr(_lib.cdll, name)
        assert f.argtypes is not None, name
        assert list(f.argtypes) == list(argtypes), name
        assert f.restype is restype, name
        if checked:
            assert f.restype is ctypes.c_int and f.errcheck is _lib._errcheck, name


STRUCT_PROBE = r"""
#include <berth/berth.h>
#include <stddef.h>
#include <stdio.h>
#define SZ(T) printf("size " #T " %zu\n", sizeof(T));
#define OFF(T, f) printf("off " #T " " #f " %zu\n", offsetof(T, f));
int main(void)
{
	SZ(berth_error) OFF(berth_error, code) OFF(berth_error, sys_errno) OFF(berth_error, message)
	SZ(berth_ctx_options) OFF(berth_ctx_options, version) OFF(berth_ctx_options, root)
	OFF(berth_ctx_options, run_root) OFF(berth_ctx_options, log_cb) OFF(berth_ctx_options, log_payload)
	OFF(berth_ctx_options, log_level) OFF(berth_ctx_options, monitor_path)
	OFF(berth_ctx_options, max_blob_size) OFF(berth_ctx_options, max_image_size)
	SZ(berth_create_options) OFF(berth_create_options, version) OFF(berth_create_options, id)
	OFF(berth_create_options, name) OFF(berth_create_options, flags) OFF(berth_create_options, stdio_mode)
	OFF(berth_create_options, stdin_fd) OFF(berth_create_options, stdout_fd) OFF(berth_create_options, stderr_fd)
	OFF(berth_create_options, log_driver) OFF(berth_create_options, log_max_size) OFF(berth_create_options, log_max_file)
	SZ(berth_log_read_options) OFF(berth_log_read_options, version) OFF(berth_log_read_options, flags)
	OFF(berth_log_read_options, since_ns) OFF(berth_log_read_options, until_ns) OFF(berth_log_read_options, tail)
	SZ(berth_log_record) OFF(berth_log_record, version) OFF(berth_log_record, stream) OFF(berth_log_record, flags)
	OFF(berth_log_record, time_ns) OFF(berth_log_record, data) OFF(berth_log_record, len)
	SZ(berth_exec_options) OFF(berth_exec_options, version) OFF(berth_exec_options, args)
	OFF(berth_exec_options, env) OFF(berth_exec_options, cwd) OFF(berth_exec_options, user)
	OFF(berth_exec_options, stdio_mode) OFF(berth_exec_options, stdin_fd) OFF(berth_exec_options, stdout_fd)
	OFF(berth_exec_options, stderr_fd)
	berth_ctx_options c = BERTH_CTX_OPTIONS_INIT;
	berth_create_options o = BERTH_CREATE_OPTIONS_INIT;
	berth_exec_options e = BERTH_EXEC_OPTIONS_INIT;
	printf("init ctx %u %d %d %d %d %d %d %llu %llu\n", c.version, !!c.root, !!c.run_root, !!c.log_cb,
	       !!c.log_payload, c.log_level, !!c.monitor_path, (unsigned long long)c.max_blob_size,
	       (unsigned long long)c.max_image_size);
	printf("init create %u %d %d %u %d %d %d %d %d %lld %d\n", o.version, !!o.id, !!o.name, o.flags, o.stdio_mode,
	       o.stdin_fd, o.stdout_fd, o.stderr_fd, !!o.log_driver, (long long)o.log_max_size, o.log_max_file);
	printf("init exec %u %d %d %d %d %d %d %d %d\n", e.version, !!e.args, !!e.env, !!e.cwd, !!e.user,
	       e.stdio_mode, e.stdin_fd, e.stdout_fd, e.stderr_fd);
	printf("const %d %d %d %d %d %d %d\n", BERTH_CREATE_DETACH, BERTH_CREATE_REMOVE, BERTH_DELETE_FORCE,
	       BERTH_STDIO_FDS, BERTH_STDIO_LOG, BERTH_STDIO_TERMINAL, BERTH_STATUS_STOPPED);
	printf("ns %d %d %d %d %d %d %d %d\n", BERTH_NS_PID, BERTH_NS_NET, BERTH_NS_MOUNT, BERTH_NS_UTS,
	       BERTH_NS_IPC, BERTH_NS_USER, BERTH_NS_CGROUP, BERTH_NS_TIME);
	return 0;
}
"""


def test_struct_layouts_and_init_values_match_c(tmp_path):
    src, exe = tmp_path / "probe.c", tmp_path / "probe"
    src.write_text(STRUCT_PROBE)
    subprocess.run(["cc", "-std=c11", "-I", INCLUDE, str(src), "-o", str(exe)], check=True)
    lines = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.splitlines()
    structs = {"berth_error": _lib.ErrorInfo, "berth_ctx_options": _lib.CtxOptions,
               "berth_create_options": _lib.CreateOptions, "berth_exec_options": _lib.ExecOptions,
               "berth_log_read_options": _lib.LogReadOptions, "berth_log_record": _lib.LogRecord}
    checked = 0
    for line in lines:
        p = line.split()
        if p[0] == "size":
            assert ctypes.sizeof(structs[p[1]]) == int(p[2]), line
            checked += 1
        elif p[0] == "off":
            assert getattr(structs[p[1]], p[2]).offset == int(p[3]), line
            checked += 1
    assert checked == 4 + 3 + 9 + 11 + 9 + 6 + 7

    def flags(s, names):
        return " ".join(str(int(bool(getattr(s, n)))) if n in names else str(getattr(s, n))
                        for n, _t in s._fields_)

    init = {p.split()[1]: " ".join(p.split()[2:]) for p in lines if p.startswith("init ")}
    assert flags(_lib.ctx_options_defaults(), {"root", "run_root", "log_cb", "log_payload", "monitor_path"}) \
        == init["ctx"]
    assert flags(_lib.create_options_defaults(), {"id", "name", "log_driver"}) == init["create"]
    assert flags(_lib.exec_options_defaults(), {"args", "env", "cwd", "user"}) == init["exec"]
    const = [p for p in lines if p.startswith("const ")][0].split()[1:]
    assert [int(x) for x in const] == [_lib.CREATE_DETACH, _lib.CREATE_REMOVE, _lib.DELETE_FORCE, _lib.STDIO_FDS,
                                       _lib.STDIO_LOG, _lib.STDIO_TERMINAL, _lib.STATUS_STOPPED]
    ns = [p for p in lines if p.startswith("ns ")][0].split()[1:]
    assert [int(x) for x in ns] == [namespace.NS_PID, namespace.NS_NET, namespace.NS_MOUNT, namespace.NS_UTS,
                                    namespace.NS_IPC, namespace.NS_USER, namespace.NS_CGROUP, namespace.NS_TIME]


def test_options_init_functions_fill_the_init_values():
    for struct, init, defaults, version in (
            (_lib.CtxOptions, _lib.lib.berth_ctx_options_init, _lib.ctx_options_defaults, _lib.CTX_OPTIONS_VERSION),
            (_lib.CreateOptions, _lib.lib.berth_create_options_init, _lib.create_options_defaults, 2),
            (_lib.ExecOptions, _lib.lib.berth_exec_options_init, _lib.exec_options_defaults, 1)):
        o = struct()
        init(ctypes.byref(o), version)
        d = defaults()
        assert bytes(o) == bytes(d), struct.__name__
        with pytest.raises(berth.InvalidArgument):
            init(ctypes.byref(struct()), 9999)


def test_ctx_options_version_1_is_still_accepted(tmp_path):
    """Version 1 (before max_blob_size): init fills only its fields; berth_ctx_new
    reads only those (the limits then come from the environment)."""
    v1 = _lib.CtxOptions.max_blob_size.offset
    o = _lib.CtxOptions()
    ctypes.memset(ctypes.byref(o), 0xAB, ctypes.sizeof(o))
    _lib.lib.berth_ctx_options_init(ctypes.byref(o), 1)
    assert o.version == 1 and bytes(o)[4:v1] == bytes(_lib.ctx_options_defaults())[4:v1] and o.log_level == 1
    assert bytes(o)[v1:] == b"\xab" * (ctypes.sizeof(o) - v1)  # the caller's struct ends there
    o.root, o.run_root = str(tmp_path / "r").encode(), str(tmp_path / "rr").encode()
    h = _lib.CtxP()
    _lib.lib.berth_ctx_new(ctypes.byref(h), ctypes.byref(o))
    try:
        assert _lib.lib.berth_ctx_max_blob_size(h) == _lib.SIZE_UNLIMITED  # not 0xabab...
    finally:
        _lib.lib.berth_ctx_free(h)
    with pytest.raises(berth.InvalidArgument):
        _lib.lib.berth_ctx_options_init(ctypes.byref(o), 3)


def test_error_classes():
    assert issubclass(berth.NotFound, berth.BerthError)
    for code, cls in ((-2, berth.InvalidArgument), (-3, berth.NotFound), (-4, berth.Exists),
                      (-5, berth.StateError), (-6, berth.BerthOSError), (-8, berth.AuthError),
                      (-9, berth.DigestError), (-10, berth.NetworkError), (-11, berth.Busy),
                      (-12, berth.Unsupported), (-13, berth.PermissionDenied), (-14, berth.Timeout)):
        e = berth.errors.make_error(code, 2, "thing: cause")
        assert type(e) is cls and e.code == code and e.sys_errno == 2 and str(e) == "thing: cause"
        assert berth.strerror(code) and berth.strerror(code) != berth.strerror(-1)
    assert berth.SystemError_ is berth.BerthOSError
    assert type(berth.errors.make_error(-1)) is berth.BerthError


# ---------------------------------------------------------------- context

def test_context_roots(roots):
    root, run_root = roots
    with berth.Context(root=root, run_root=run_root) as c:
        assert c.root == root and c.run_root == run_root
        assert os.path.isdir(root) and os.path.isdir(run_root)
        assert c.container_ids() == [] and c.containers() == []
    assert c.closed
    with pytest.raises(berth.StateError):
        c.containers()


def test_context_relative_roots_are_made_absolute(roots, monkeypatch):
    root, run_root = roots
    monkeypatch.chdir(os.path.dirname(root))
    with berth.Context(root="root", run_root="run") as c:
        assert c.root == root and c.run_root == run_root


# ---------------------------------------------------------------- run

def test_run_example_pid1(ctx, rootfs):
    r = ctx.run(["/bin/sh", "-c", "echo $$"], rootfs=rootfs, capture_output=True)
    assert r.exit_code == 0 and r.stdout.strip() == b"1"
    assert r.signal == 0 and r.stderr == b""
    assert len(r.id) == 64
    assert ctx.container_ids() == []  # remove=True


def test_exit_codes(ctx, rootfs):
    assert sh(ctx, rootfs, "exit 0").exit_code == 0
    assert sh(ctx, rootfs, "exit 3").exit_code == 3
    assert sh(ctx, rootfs, "exit 255").exit_code == 255


def test_exit_code_of_a_signal(ctx, rootfs):
    # pid 1 ignores signals it has no handler for, even SIGKILL from inside;
    # a child killed by a signal is reported by sh as 128+N, and kill from
    # outside reaches the init.
    r = sh(ctx, rootfs, "sh -c 'kill -9 $$'; exit $?")
    assert r.exit_code == 137
    with created(ctx, ["sleep", "30"], rootfs=rootfs) as c:
        c.start()
        c.kill(signal.SIGKILL)
        assert c.wait(10) == 128 + 9
        assert c.signal == 9
        assert c.exit_code == 137


def test_missing_binary_exits_127(ctx, rootfs):
    r = ctx.run(["/no/such/binary"], rootfs=rootfs, capture_output=True)
    assert r.exit_code == 127


def test_capture_stdout_and_stderr_separately(ctx, rootfs):
    r = sh(ctx, rootfs, "echo out; echo err >&2; echo out2")
    assert r.stdout == b"out\nout2\n"
    assert r.stderr == b"err\n"


def test_capture_large_output_and_stdin(ctx, rootfs):
    r = sh(ctx, rootfs, "head -c 3000000 /dev/zero; head -c 200000 /dev/zero >&2")
    assert r.exit_code == 0 and len(r.stdout) == 3000000 and len(r.stderr) == 200000
    data = os.urandom(500000)
    r = ctx.run(["cat"], rootfs=rootfs, input=data, capture_output=True)
    assert r.stdout == data
    r = ctx.run(["sh", "-c", "echo to-stderr >&2"], rootfs=rootfs, stdout=berth.PIPE, stderr=berth.STDOUT)
    assert r.stdout == b"to-stderr\n" and r.stderr is None


def test_output_to_files(ctx, rootfs, tmp_path):
    with open(tmp_path / "out", "wb") as out:
        r = ctx.run(["echo", "into a file"], rootfs=rootfs, stdout=out)
    assert r.exit_code == 0 and r.stdout is None
    assert (tmp_path / "out").read_bytes() == b"into a file\n"


def test_env_cwd_user_hostname(ctx, rootfs):
    r = sh(ctx, rootfs, 'echo "$FOO|$BAR"; pwd; id -u; id -g; hostname',
           env={"FOO": "bar baz", "BAR": "1"}, cwd="/tmp", user="1000:1001", hostname="boxy")
    assert r.stdout.decode().splitlines() == ["bar baz|1", "/tmp", "1000", "1001", "boxy"], r
    r = sh(ctx, rootfs, "id -u; echo $PATH", env=["A=b"], user=65534)
    lines = r.stdout.decode().splitlines()
    assert lines[0] == "65534" and "/bin" in lines[1]  # the default PATH is kept


def test_default_security(ctx, rootfs):
    r = sh(ctx, rootfs, "grep -E '^(Seccomp|NoNewPrivs|CapEff):' /proc/self/status")
    st = dict(l.split(":\t") for l in r.stdout.decode().splitlines())
    assert st["Seccomp"] == "2"
    assert st["NoNewPrivs"] == "1"
    assert int(st["CapEff"], 16) == 0xa80425fb  # Docker's 14 default capabilities


def test_seccomp_none(ctx, rootfs):
    r = sh(ctx, rootfs, "grep ^Seccomp: /proc/self/status", seccomp=None)
    assert r.stdout.split() == [b"Seccomp:", b"0"]


def test_cap_drop_all(ctx, rootfs):
    r = sh(ctx, rootfs, "grep -E '^Cap(Eff|Prm|Bnd):' /proc/self/status", cap_drop=["ALL"])
    caps = dict(l.split(":\t") for l in r.stdout.decode().splitlines())
    assert caps == {"CapEff": "0000000000000000", "CapPrm": "0000000000000000", "CapBnd": "0000000000000000"}
    r = sh(ctx, rootfs, "grep ^CapEff: /proc/self/status", cap_drop="ALL", cap_add=["NET_ADMIN"])
    assert int(r.stdout.split()[1], 16) == 1 << 12


def test_readonly_rootfs_and_volumes(ctx, rootfs, tmp_path):
    r = sh(ctx, rootfs, "touch /x", readonly=True)
    assert r.exit_code != 0 and b"Read-only" in r.stderr
    (tmp_path / "in").write_text("from host")
    r = sh(ctx, rootfs, "cat /root/in; echo from container > /root/out; touch /tmp/x",
           volumes=["%s:/root" % tmp_path, "%s:/tmp:ro" % tmp_path])
    assert r.stdout == b"from host"
    assert (tmp_path / "out").read_text() == "from container\n"
    assert not (tmp_path / "x").exists() and r.exit_code != 0


def test_network_none_and_host(ctx, rootfs):
    host_ns = os.readlink("/proc/self/ns/net")
    r = sh(ctx, rootfs, "readlink /proc/self/ns/net; cat /proc/net/dev | tail -n +3 | cut -d: -f1")
    ns, *ifaces = r.stdout.decode().split()
    assert ns != host_ns and ifaces == ["lo"]
    r = sh(ctx, rootfs, "readlink /proc/self/ns/net", network="host")
    assert r.stdout.decode().strip() == host_ns


def test_run_from_a_spec(ctx, rootfs):
    s = berth.Spec().set_rootfs(rootfs).set_args(["sh", "-c", "echo $X; hostname"]).setenv("X", "from-spec")
    s.set_hostname("spec-host")
    r = ctx.run(spec=s, capture_output=True)
    assert r.stdout == b"from-spec\nspec-host\n"
    r = ctx.run(["hostname"], spec=s, hostname="override", capture_output=True)
    assert r.stdout == b"override\n"
    assert s.get("/hostname") == "spec-host"  # the caller's spec is not changed


def test_timeout_kills_and_removes(ctx, rootfs):
    t = time.monotonic()
    with pytest.raises(berth.Timeout) as ei:
        sh(ctx, rootfs, "echo started; exec sleep 30", timeout=0.5)
    assert time.monotonic() - t < 10
    assert ei.value.stdout == b"started\n"
    assert ctx.container_ids() == []


def test_remove_false_keeps_the_container(ctx, rootfs):
    r = sh(ctx, rootfs, "exit 4", remove=False, name="kept")
    assert ctx.container_ids() == [r.id]
    with ctx.container("kept") as c:
        assert c.id == r.id and c.name == "kept"
        assert c.status == "stopped" and c.exit_code == 4
        info = c.inspect()
        assert info["id"] == r.id and info["status"] == "stopped"
        c.delete()
    assert ctx.container_ids() == []


# ---------------------------------------------------------------- lifecycle

def test_create_start_wait_states(ctx, rootfs):
    with created(ctx, ["sh", "-c", "sleep 0.3; exit 5"], rootfs=rootfs, name="life") as c:
        assert c.status == "created"
        assert c.pid > 0 and c.exit_code is None
        assert os.path.exists("/proc/%d" % c.pid)
        c.start()
        assert c.status == "running"
        assert c.wait(10) == 5
        assert c.status == "stopped" and c.exit_code == 5 and c.pid == 0
        with pytest.raises(berth.StateError):
            c.start()
        spec = c.spec()
        assert spec.args[0] == "sh"
        assert c.inspect()["id"] == c.id


def test_wait_timeout(ctx, rootfs):
    with created(ctx, ["sleep", "30"], rootfs=rootfs) as c:
        c.start()
        t = time.monotonic()
        with pytest.raises(berth.Timeout):
            c.wait(0.3)
        assert 0.25 < time.monotonic() - t < 5
        assert c.status == "running"
        c.stop(timeout=1)
        assert c.wait(10) in (143, 137)


def test_kill_from_another_thread_while_waiting(ctx, rootfs):
    with created(ctx, ["sleep", "30"], rootfs=rootfs) as c:
        c.start()
        got = []
        t = threading.Thread(target=lambda: got.append(c.wait(20)))
        t.start()
        time.sleep(0.3)
        c.kill("KILL")
        t.join(10)
        assert got == [137]


def test_delete_refuses_running_unless_forced(ctx, rootfs):
    with created(ctx, ["sleep", "30"], rootfs=rootfs) as c:
        c.start()
        with pytest.raises(berth.StateError) as ei:
            c.delete()
        assert c.id[:12] in str(ei.value) or "running" in str(ei.value)
        assert c.status == "running"
        c.delete(force=True)
        assert ctx.container_ids() == []
        with pytest.raises(berth.NotFound):
            ctx.container(c.id)


def test_exec_sees_the_containers_init(ctx, rootfs):
    with created(ctx, ["sleep", "30"], rootfs=rootfs, start=True) as c:
        r = c.exec(["cat", "/proc/1/cmdline"], capture_output=True)
        assert r.exit_code == 0 and r.stdout == b"sleep\x0030\x00"
        r = c.exec(["sh", "-c", "echo $E; pwd; id -u; exit 7"], env={"E": "x"}, cwd="/tmp", user=1000,
                   capture_output=True)
        assert r.exit_code == 7 and r.stdout == b"x\n/tmp\n1000\n"
        r = c.exec(["sh", "-c", "grep ^Seccomp: /proc/self/status; echo e >&2"], capture_output=True)
        assert r.stdout.split() == [b"Seccomp:", b"2"] and r.stderr == b"e\n"
        r = c.exec(["cat"], input=b"piped", capture_output=True)
        assert r.stdout == b"piped"
        r = c.exec(["/no/such/binary"], capture_output=True)
        assert r.exit_code == 127 and b"/no/such/binary" in r.stderr
        with c.spawn(["sleep", "30"]) as p:
            assert p.pid > 0
            p.kill(signal.SIGKILL)
            assert p.wait(10) == 137 and p.signal == 9
        c.kill(signal.SIGKILL)
        c.wait(10)
        with pytest.raises(berth.StateError):
            c.exec(["true"])


def test_containers_listing_and_open(ctx, rootfs):
    with created(ctx, ["true"], rootfs=rootfs, name="one") as a, \
            created(ctx, ["true"], rootfs=rootfs, name="two", id="my-id.2") as b:
        assert b.id == "my-id.2"
        assert sorted(ctx.container_ids()) == sorted([a.id, b.id])
        cs = ctx.containers()
        assert sorted((c.id, c.name) for c in cs) == sorted([(a.id, "one"), (b.id, "two")])
        for c in cs:
            c.close()
        with ctx.container("two") as c:
            assert c.id == "my-id.2"
        with ctx.container(a.id[:16]) as c:
            assert c.name == "one"


def test_detached_logs(ctx, rootfs):
    with created(ctx, ["sh", "-c", "echo out; echo err >&2"], rootfs=rootfs, detach=True, start=True) as c:
        assert c.wait(20) == 0
        assert c.log_path and os.path.isabs(c.log_path)
        logs = c.logs()
        assert b"out" in logs and b"err" in logs
        assert c.status == "stopped"
    with created(ctx, ["sh", "-c", "echo attached-log"], rootfs=rootfs, log_output=True, start=True) as c:
        assert c.wait(20) == 0
        assert b"attached-log" in c.logs()


def test_detached_remove_reports_the_exit_code(ctx, rootfs):
    c = ctx.create(["sh", "-c", "exit 3"], rootfs=rootfs, detach=True, remove=True, start=True)
    with c:
        assert c.wait(20) == 3
    deadline = time.monotonic() + 10
    while ctx.container_ids() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ctx.container_ids() == []


def read_until(fd, want, timeout=10):
    out, deadline = b"", time.monotonic() + timeout
    while want not in out and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.2)[0]:
            try:
                b = os.read(fd, 4096)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not b:
                break
            out += b
    return out


def test_terminal(ctx, rootfs):
    with created(ctx, ["sh", "-c", "tty; read x; echo got $x; exit 3"], rootfs=rootfs, terminal=True) as c:
        fd = c.take_console()
        try:
            c.start()
            os.write(fd, b"abc\n")
            out = read_until(fd, b"got abc")
            assert re.search(rb"/dev/(console|pts/\d+)", out) and b"not a tty" not in out, out
            assert b"got abc" in out, out
            assert c.wait(10) == 3
        finally:
            os.close(fd)
        with pytest.raises(berth.NotFound):
            c.take_console()


def _attach_roundtrip(c):
    fd, lease = c.attach()
    try:
        os.write(fd, b"hello\n")
        out = read_until(fd, b"got hello")
        assert b"got hello" in out, out
    finally:
        os.close(fd)
        os.close(lease)
    assert c.wait(10) == 4


def test_detached_terminal_attach(ctx, rootfs):
    with created(ctx, ["sh", "-c", "read line; echo got $line; exit 4"], rootfs=rootfs, detach=True,
                 terminal=True, start=True, id="att") as c:
        _attach_roundtrip(c)


def test_detached_terminal_attach_default_id(ctx, rootfs):
    # A random 64-hex id under a temporary run root: the attach socket path
    # must not be limited by sun_path (108 bytes).
    with created(ctx, ["sh", "-c", "read line; echo got $line; exit 4"], rootfs=rootfs, detach=True,
                 terminal=True, start=True) as c:
        _attach_roundtrip(c)


def test_join_another_containers_network(ctx, rootfs):
    with created(ctx, ["sleep", "30"], rootfs=rootfs, start=True, name="netowner") as c:
        r = ctx.run(["readlink", "/proc/self/ns/net"], rootfs=rootfs, network="container:netowner",
                    capture_output=True)
        assert r.stdout.decode().strip() == os.readlink("/proc/%d/ns/net" % c.pid)
        c.kill(signal.SIGKILL)
        c.wait(10)
        with pytest.raises(berth.StateError):
            ctx.run(["true"], rootfs=rootfs, network="container:netowner")
    # bridge networks are tested in a private netns (test_net.py); an unknown
    # network fails before anything is made
    with pytest.raises(berth.NotFound, match="nosuchnet"):
        ctx.run(["true"], rootfs=rootfs, network="nosuchnet")


def test_context_close_closes_handles(roots, rootfs):
    c = berth.Context(root=roots[0], run_root=roots[1])
    k = c.create(["true"], rootfs=rootfs)
    cid = k.id
    c.close()
    assert k.closed
    with pytest.raises(berth.StateError):
        k.start()
    with berth.Context(root=roots[0], run_root=roots[1]) as c2, c2.container(cid) as k2:
        k2.delete(force=True)


def _open_fds():
    return sorted(int(f) for f in os.listdir("/proc/self/fd"))


def test_no_fd_or_thread_left_by_the_bindings(ctx, rootfs):
    sh(ctx, rootfs, "true")  # warm up (lazy library state)
    fds, nthreads = _open_fds(), threading.active_count()
    for _ in range(3):
        sh(ctx, rootfs, "echo x; echo y >&2", input=b"in")
        ctx.run(["true"], rootfs=rootfs)
        with pytest.raises(berth.NotFound):
            ctx.run(["true"], rootfs="/nonexistent/rootfs", capture_output=True, input=b"x")
        with pytest.raises(berth.Timeout):
            sh(ctx, rootfs, "sleep 10", timeout=0.2)
        with created(ctx, ["sleep", "30"], rootfs=rootfs, start=True) as c:
            c.exec(["cat"], input=b"abc", capture_output=True)
            c.exec(["true"])
    assert _open_fds() == fds
    assert threading.active_count() == nthreads


def test_created_container_holds_no_caller_fds(ctx, rootfs):
    # Another thread's pipe, open while a container is created, must not be
    # held by that container's waiting init: the other thread's reader would
    # not see EOF (or its container's stdin would not) until start.
    r, w = os.pipe2(os.O_CLOEXEC)
    try:
        with created(ctx, ["true"], rootfs=rootfs) as c:
            held = [f for f in os.listdir("/proc/%d/fd" % c.pid)
                    if os.readlink("/proc/%d/fd/%s" % (c.pid, f)) == os.readlink("/proc/self/fd/%d" % w)]
            os.close(w)
            w = -1
            assert select.select([r], [], [], 2)[0], "no EOF: the created init holds the pipe (fds %s)" % held
            assert os.read(r, 1) == b""
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)


def test_log_callback(roots, rootfs):
    got = []
    with berth.Context(root=roots[0], run_root=roots[1], log=lambda lvl, msg: got.append((lvl, msg)),
                       log_level=berth.LOG_DEBUG) as c:
        r = c.run(["true"], rootfs=rootfs)
        assert r.exit_code == 0
    assert all(isinstance(lvl, int) and isinstance(m, str) for lvl, m in got)
    msgs = [m for lvl, m in got if lvl == berth.LOG_INFO]
    for word in ("created", "started", "exited with 0", "deleted"):
        assert any(r.id in m and word in m for m in msgs), (word, got)


# ---------------------------------------------------------------- errors

def test_bad_rootfs_is_not_found_naming_the_path(ctx):
    with pytest.raises(berth.NotFound) as ei:
        ctx.run(["true"], rootfs="/nonexistent/rootfs-dir")
    assert "/nonexistent/rootfs-dir" in str(ei.value)
    assert ei.value.code == -3
    assert ctx.container_ids() == []


def test_duplicate_name_is_exists(ctx, rootfs):
    with created(ctx, ["true"], rootfs=rootfs, name="dup"):
        with pytest.raises(berth.Exists) as ei:
            ctx.run(["true"], rootfs=rootfs, name="dup")
        assert "dup" in str(ei.value)
        assert len(ctx.container_ids()) == 1


def test_bad_id_is_invalid_argument(ctx, rootfs):
    with pytest.raises(berth.InvalidArgument) as ei:
        ctx.run(["true"], rootfs=rootfs, id="a/b")
    assert "a/b" in str(ei.value)
    assert isinstance(ei.value, ValueError)
    with pytest.raises(berth.InvalidArgument):
        ctx.create(["true"], rootfs=rootfs, name="-bad")
    with pytest.raises(berth.NotFound):
        ctx.container("no-such-container")
    assert ctx.container_ids() == []


def test_error_message_is_from_the_failing_call(ctx):
    with pytest.raises(berth.NotFound) as ei:
        ctx.container("missing-one")
    assert "missing-one" in str(ei.value)
    # a later success does not change what was raised; and the next failure has its own message
    berth.version()
    with pytest.raises(berth.InvalidArgument) as ei2:
        berth.Spec.from_json("{not json")
    assert "missing-one" not in str(ei2.value)


# ---------------------------------------------------------------- spec

def test_spec_defaults():
    s = berth.Spec()
    assert s.args == ["sh"]
    assert any(e.startswith("PATH=") for e in s.env)
    assert s.get("/process/cwd") == "/"
    assert s.get("/hostname") == "berth"
    assert s.get("/nope", None) is None
    with pytest.raises(berth.NotFound):
        s.get("/nope")
    kinds = {n["type"] for n in s.get("/linux/namespaces")}
    assert {"pid", "network", "ipc", "uts", "mount"} <= kinds


def test_spec_round_trip(tmp_path):
    s = berth.Spec()
    s.set_args(["/bin/echo", "hi there"]).set_env({"A": "1"}).setenv("B=2").set_cwd("/work")
    s.set_user(1000, 1000, [10, 20]).set_hostname("h").set_rootfs("/srv/root", readonly=True)
    s.add_bind("/etc/hosts", "/etc/hosts", readonly=True).add_mount("/scratch", "tmpfs", "tmpfs", ["size=1m"])
    s.cap_add("SYS_TIME").cap_drop("NET_RAW").set_rlimit("nofile", 1024, 2048).set_sysctl("net.ipv4.ip_forward", 1)
    s.set_annotation("org.example/key", "value").set_namespace("network", "/proc/1/ns/net")
    s.remove_namespace(namespace.NS_IPC).add_uid_mapping(0, 100000, 65536).add_gid_mapping(0, 100000, 65536)
    s.set_no_new_privileges(False).set_oom_score_adj(100).set_terminal(False)
    s.validate()
    d = s.to_dict()
    assert d["process"]["args"] == ["/bin/echo", "hi there"]
    assert "A=1" in d["process"]["env"] and "B=2" in d["process"]["env"]
    assert d["process"]["user"]["uid"] == 1000 and d["process"]["user"]["additionalGids"] == [10, 20]
    assert d["root"] == {"path": "/srv/root", "readonly": True}
    assert d["annotations"]["org.example/key"] == "value"
    assert d["linux"]["sysctl"]["net.ipv4.ip_forward"] == "1"
    assert "CAP_SYS_TIME" in d["process"]["capabilities"]["bounding"]
    assert "CAP_NET_RAW" not in d["process"]["capabilities"]["bounding"]
    assert {"type": "network", "path": "/proc/1/ns/net"} in d["linux"]["namespaces"]
    assert "ipc" not in {n["type"] for n in d["linux"]["namespaces"]}
    assert "user" in {n["type"] for n in d["linux"]["namespaces"]}
    assert any(m["destination"] == "/scratch" and m["type"] == "tmpfs" for m in d["mounts"])

    s2 = berth.Spec.from_json(s.to_json())
    assert s2.to_dict() == d
    s2.close()
    p = tmp_path / "config.json"
    s.save(p)
    assert json.loads(p.read_text()) == d
    assert berth.Spec.load(str(p)).to_dict() == d
    assert berth.Spec.from_dict(d).to_dict() == d
    c = s.copy()
    c.set_hostname("other")
    assert s.get("/hostname") == "h" and c.get("/hostname") == "other"


def test_spec_seccomp_settings(tmp_path):
    s = berth.Spec()
    assert s.get("/linux/seccomp", None) is not None
    s.set_seccomp(None)
    assert s.get("/linux/seccomp", None) is None
    s.set_seccomp("default")
    assert s.get("/linux/seccomp/defaultAction")
    prof = {"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}
    s.set_seccomp(prof)
    assert s.get("/linux/seccomp/defaultAction") == "SCMP_ACT_ALLOW"
    f = tmp_path / "prof.json"
    f.write_text(json.dumps(prof))
    s.set_seccomp(None).set_seccomp(str(f))
    assert s.get("/linux/seccomp/syscalls/0/names") == ["mkdir"]
    s.set_privileged(True)
    assert s.get("/linux/seccomp", None) is None


def test_spec_validation_names_the_field():
    d = berth.Spec().to_dict()
    d["process"]["args"] = []
    with pytest.raises(berth.InvalidArgument) as ei:
        berth.Spec.from_dict(d).validate()
    assert "process.args" in str(ei.value)
    with pytest.raises(berth.InvalidArgument) as ei:
        berth.Spec().set_args([])
    assert "args" in str(ei.value)
    with pytest.raises(berth.InvalidArgument) as ei:
        berth.Spec().set_oom_score_adj(5000)
    with pytest.raises(berth.InvalidArgument) as ei:
        berth.Spec().cap_add("NOT_A_CAP")
    assert "NOT_A_CAP" in str(ei.value)
    with pytest.raises(berth.InvalidArgument) as ei:
        berth.Spec.from_json('{"ociVersion": "1.2.0", "process": ')
    with pytest.raises(berth.InvalidArgument):
        berth.Spec().set_user("nobody")


def test_spec_closed():
    s = berth.Spec()
    s.close()
    s.close()
    with pytest.raises(berth.StateError):
        s.to_json()


# ---------------------------------------------------------------- threads

def test_four_threads_running_containers(ctx, rootfs):
    errs, done = [], []

    def worker(n):
        try:
            for i in range(3):
                r = sh(ctx, rootfs, "echo t%d-%d $$; echo e%d >&2; exit %d" % (n, i, n, n * 10 + i),
                       env={"N": str(n)}, hostname="h%d" % n)
                assert r.stdout == b"t%d-%d 1\n" % (n, i), r
                assert r.stderr == b"e%d\n" % n, r
                assert r.exit_code == n * 10 + i, r
                bad = "/nonexistent/thread-%d-%d" % (n, i)
                with pytest.raises(berth.NotFound) as ei:
                    ctx.run(["true"], rootfs=bad)
                assert bad in str(ei.value)
                with pytest.raises(berth.InvalidArgument) as ei:
                    ctx.run(["true"], rootfs=rootfs, id="bad/%d" % n)
                assert "bad/%d" % n in str(ei.value)
            with created(ctx, ["sleep", "30"], rootfs=rootfs, start=True, name="t%d" % n) as c:
                for i in range(3):
                    r = c.exec(["sh", "-c", "cat /proc/1/cmdline; echo; echo $X"], env={"X": "x%d" % n},
                               capture_output=True)
                    assert r.stdout == b"sleep\x0030\x00\nx%d\n" % n, r
            done.append(n)
        except BaseException as e:  # report in the main thread
            errs.append((n, e))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errs, errs
    assert sorted(done) == [0, 1, 2, 3]
    assert ctx.container_ids() == []


# ---------------------------------------------------------------- namespace

def test_namespace_names():
    assert namespace.type_from_name("net") == namespace.NS_NET
    assert namespace.type_from_name("network") == namespace.NS_NET
    assert namespace.type_from_name("mnt") == namespace.NS_MOUNT
    assert namespace.type_name(namespace.NS_MOUNT) == "mount"
    assert [namespace.type_name(t) for t in namespace.TYPES] == \
        ["pid", "network", "mount", "uts", "ipc", "user", "cgroup", "time"]
    with pytest.raises(berth.InvalidArgument):
        namespace.type_from_name("bogus")
    with pytest.raises(berth.InvalidArgument):
        namespace.type_name(99)
    assert namespace.clone_flag(namespace.NS_NET) == 0x40000000
    assert namespace.clone_flag("pid") == 0x20000000
    assert namespace.clone_flag(99) == 0
    assert namespace.mask(["net", namespace.NS_UTS]) == (1 << 2) | (1 << 4)


def test_namespace_open_own(tmp_path):
    fd = namespace.open(0, namespace.NS_NET)
    try:
        assert os.fstat(fd).st_ino == os.stat("/proc/self/ns/net").st_ino
    finally:
        os.close(fd)
    fd = namespace.open(os.getpid(), "uts")
    try:
        assert os.fstat(fd).st_ino == os.stat("/proc/self/ns/uts").st_ino
    finally:
        os.close(fd)
    with pytest.raises(berth.BerthError):
        namespace.open(0x7ffffff0, namespace.NS_NET)


def test_namespace_unshare_and_join_in_a_thread():
    # unshare/join change the calling thread only: do it in a helper thread.
    host_uts = os.stat("/proc/self/ns/uts").st_ino
    out = {}

    def t():
        try:
            namespace.unshare(["uts", namespace.NS_NET])
            tid = threading.get_native_id()
            out["uts"] = os.stat("/proc/self/task/%d/ns/uts" % tid).st_ino
            out["lo"] = open("/proc/self/task/%d/net/dev" % tid).read()
            namespace.loopback_up()
            namespace.join("/proc/%d/ns/uts" % os.getpid(), namespace.NS_UTS)
            out["back"] = os.stat("/proc/self/task/%d/ns/uts" % tid).st_ino
            with pytest.raises(berth.BerthError):
                namespace.join("/proc/%d/ns/uts" % os.getpid(), namespace.NS_NET)
        except BaseException as e:
            out["err"] = e

    th = threading.Thread(target=t)
    th.start()
    th.join()
    assert "err" not in out, out.get("err")
    assert out["uts"] != host_uts and out["back"] == host_uts
    assert "lo:" in out["lo"]
