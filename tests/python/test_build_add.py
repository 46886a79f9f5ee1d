"""Dockerfile ADD of local tar archives: plain, gzip, bzip2, xz and zstd tars are
unpacked into the destination as Docker does, a compressed file that is not a tar is
copied as it is, and a hostile tar cannot write outside the destination."""
import io
import json
import os
import subprocess
import tarfile
import time

import pytest

from test_build import _build_until_started, _context, _layer_tmp_dirs, based, tarball  # noqa: F401 (fixtures)


def _tar_bytes(members):
    """members: (name, kind, data) with kind "file", "dir", "symlink" or "hardlink"
    (data: content, or the link target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, kind, data in members:
            ti = tarfile.TarInfo(name)
            ti.mode = 0o644
            if kind == "file":
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
                continue
            if kind == "dir":
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            elif kind == "symlink":
                ti.type, ti.linkname = tarfile.SYMTYPE, data
            elif kind == "hardlink":
                ti.type, ti.linkname = tarfile.LNKTYPE, data
            t.addfile(ti)
    return buf.getvalue()


def _compress(data, tool):
    if tool is None:
        return data
    return subprocess.run([tool, "-c"], input=data, capture_output=True, check=True).stdout


def _cat(cli, image, path):
    r = cli("run", "--rm", image, "cat", path)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("name,tool", [("plain.tar", None), ("g.tar.gz", "gzip"), ("b.tar.bz2", "bzip2"),
                                       ("x.tar.xz", "xz"), ("z.tar.zst", "zstd")])
def test_add_unpacks_each_compression(based, tmp_path, name, tool):
    ctx = _context(tmp_path, "FROM busybox:base\nADD %s /x/\n" % name)
    tar = _tar_bytes([("top.txt", "file", b"top " + name.encode() + b"\n"), ("sub", "dir", None),
                      ("sub/inner.txt", "file", b"inner\n"), ("ln", "symlink", "top.txt")])
    (ctx / name).write_bytes(_compress(tar, tool))
    r = based("build", "-t", "added:1", str(ctx))
    assert r.returncode == 0, r.stderr + r.stdout
    assert _cat(based, "added:1", "/x/top.txt") == "top %s\n" % name
    assert _cat(based, "added:1", "/x/sub/inner.txt") == "inner\n"
    assert _cat(based, "added:1", "/x/ln") == "top %s\n" % name
    r = based("run", "--rm", "added:1", "ls", "/x")
    assert r.stdout.split() == ["ln", "sub", "top.txt"], r.stdout  # the archive itself is not there
    assert _layer_tmp_dirs(based.root) == []


def test_add_copies_a_compressed_file_that_is_not_a_tar(based, tmp_path):
    ctx = _context(tmp_path, "FROM busybox:base\nADD notes.gz /x/\n")
    data = _compress(b"just text, no tar\n", "gzip")
    (ctx / "notes.gz").write_bytes(data)
    r = based("build", "-t", "notar:1", str(ctx))
    assert r.returncode == 0, r.stderr + r.stdout
    r = based("run", "--rm", "notar:1", "sh", "-c", "gunzip -c /x/notes.gz")
    assert r.returncode == 0 and r.stdout == "just text, no tar\n", r.stderr


def _outside_unchanged(tmp_path, sentinel):
    assert sentinel.read_text() == "sentinel\n"
    assert not (tmp_path / "pwned").exists()
    assert not os.path.exists("/tmp/berth-add-pwned")


def _hostile_build(based, tmp_path, members, tag):
    sentinel = tmp_path / "sentinel"
    sentinel.write_text("sentinel\n")
    sub = tmp_path / tag.replace(":", "-")
    sub.mkdir()
    ctx = _context(sub, "FROM busybox:base\nADD evil.tar /x/\n")
    (ctx / "evil.tar").write_bytes(_tar_bytes(members))
    r = based("build", "-t", tag, str(ctx))
    _outside_unchanged(tmp_path, sentinel)
    assert _layer_tmp_dirs(based.root) == []
    return r


def test_add_hostile_dotdot_is_refused(based, tmp_path):
    r = _hostile_build(based, tmp_path, [("../../../../../../pwned", "file", b"x\n"),
                                         ("../sentinel", "file", b"overwritten\n")], "evil:1")
    assert r.returncode != 0
    assert "Dockerfile:2: ADD" in r.stderr and "path escapes the layer" in r.stderr, r.stderr
    assert based("image", "inspect", "evil:1").returncode != 0


def test_add_hostile_hardlink_to_outside_is_refused(based, tmp_path):
    r = _hostile_build(based, tmp_path, [("hl", "hardlink", "../../../../etc/passwd")], "evil:2")
    assert r.returncode != 0 and "hardlink target '../../../../etc/passwd' escapes" in r.stderr, r.stderr
    # an absolute target names a path inside the destination, where there is none
    r = _hostile_build(based, tmp_path, [("hl", "hardlink", "/etc/passwd")], "evil:3")
    assert r.returncode != 0 and "entry 'hl'" in r.stderr, r.stderr


def test_add_hostile_absolute_and_symlink_stay_in_the_destination(based, tmp_path):
    """Absolute names land under the destination (Docker strips the leading /); a
    symlink pointing out is kept as a link, and a write through it resolves inside
    the destination (as if the destination were /)."""
    r = _hostile_build(based, tmp_path, [("/abs.txt", "file", b"abs\n"),
                                         ("tmp", "dir", None),
                                         ("up", "symlink", "../../../../../../../../tmp"),
                                         ("up/berth-add-pwned", "file", b"through up\n"),
                                         ("root", "symlink", "/"),
                                         ("root/passwd", "file", b"through root\n")], "sym:1")
    assert r.returncode == 0, r.stderr + r.stdout
    assert _cat(based, "sym:1", "/x/abs.txt") == "abs\n"
    # the writes through the links landed inside /x ...
    assert _cat(based, "sym:1", "/x/tmp/berth-add-pwned") == "through up\n"
    assert _cat(based, "sym:1", "/x/passwd") == "through root\n"
    # ... not in the image's /tmp or /etc
    r = based("run", "--rm", "sym:1", "sh", "-c", "ls /tmp /; cat /etc/passwd")
    assert r.returncode == 0 and "berth-add-pwned" not in r.stdout and "root:x:0:0" in r.stdout, r.stdout
    # a write through a link to a place the destination lacks is refused, naming the entry
    r = _hostile_build(based, tmp_path, [("etc", "symlink", "/etc"), ("etc/passwd", "file", b"x\n")], "sym:2")
    assert r.returncode != 0 and "entry 'etc/passwd'" in r.stderr, r.stderr
    r = based("run", "--rm", "busybox:base", "cat", "/etc/passwd")
    assert r.returncode == 0 and r.stdout.startswith("root:x:0:0"), r.stdout


# --- a build killed with SIGKILL (in this file: it shares the fixtures) ---

def _run_step_state(run_root):
    d = os.path.join(run_root, "containers")
    for cid in (os.listdir(d) if os.path.isdir(d) else []):
        p = os.path.join(d, cid, "state.json")
        if os.path.exists(p):
            with open(p) as f:
                return cid, json.load(f)
    return None, None


def _cgroup_dirs(pid):
    """The cgroup dirs of a process that berth made (v2, or each v1 hierarchy)."""
    dirs = []
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            _, ctrl, path = line.rstrip("\n").split(":", 2)
            if "berth" not in path:
                continue
            mnt = "unified" if not ctrl and os.path.isdir("/sys/fs/cgroup/unified") else ctrl.replace("name=", "")
            for d in (os.path.join("/sys/fs/cgroup", mnt, path.lstrip("/")), "/sys/fs/cgroup" + path):
                if os.path.isdir(d) and d not in dirs:
                    dirs.append(d)
    return dirs


def test_a_killed_build_takes_its_run_step_with_it(based, tmp_path):
    ctx = _context(tmp_path, "FROM busybox:base\nRUN echo started; sleep 30; echo never\n")
    p = _build_until_started(based, ctx, "killed:1")
    deadline = time.monotonic() + 5
    cid, st = _run_step_state(based.run_root)
    while not cid and time.monotonic() < deadline:  # the state is written just after the exec
        time.sleep(0.02)
        cid, st = _run_step_state(based.run_root)
    assert cid and st["status"] == "running", st
    init = st["pid"]
    cgs = _cgroup_dirs(init)
    assert cgs, open("/proc/%d/cgroup" % init).read()
    with open(os.path.join(cgs[0], "cgroup.procs")) as f:
        procs = [int(x) for x in f.read().split()]
    assert init in procs and len(procs) >= 2, procs  # sh and its sleep
    p.kill()
    p.wait()
    p.stdout.close()
    p.stderr.close()
    # the step's processes die with the build, within a bounded time
    deadline = time.monotonic() + 5
    while any(os.path.exists("/proc/%d" % x) for x in procs):
        assert time.monotonic() < deadline, "still running: %s" % [x for x in procs if os.path.exists("/proc/%d" % x)]
        time.sleep(0.02)
    # what is left (state, root dir, cgroup) goes with the next berth command
    assert os.path.isdir(os.path.join(based.run_root, "containers", cid))
    r = based("ps", "-a")
    assert r.returncode == 0 and cid[:12] not in r.stdout, r.stdout + r.stderr
    assert os.listdir(os.path.join(based.run_root, "containers")) == []
    assert os.listdir(os.path.join(based.root, "containers")) == []
    assert [d for d in cgs if os.path.exists(d)] == [], cgs
    # the build's temp dir goes with the next store operation
    assert _layer_tmp_dirs(based.root) != []
    r = based("images")
    assert r.returncode == 0, r.stderr
    assert _layer_tmp_dirs(based.root) == []
    # and the same build works afterwards (a step that finishes)
    (ctx / "Dockerfile").write_text("FROM busybox:base\nRUN echo done > /d\n")
    r = based("build", "-t", "killed:1", str(ctx))
    assert r.returncode == 0, r.stderr
    # (the roots fixture checks that no container state, mount or monitor is left)


def test_add_writes_whiteout_names_as_files(based, tmp_path):
    """An added tar is an archive, not a layer: ".wh.victim" is a file, as Docker's ADD
    writes it, and hides nothing."""
    sub = tmp_path / "wh"
    sub.mkdir()
    ctx = _context(sub, "FROM busybox:base\nRUN mkdir /x && echo keep > /x/victim\nADD wh.tar /x/\n")
    (ctx / "wh.tar").write_bytes(_tar_bytes([(".wh.victim", "file", b"a file\n"), (".wh..wh..opq", "file", b"")]))
    r = based("build", "-t", "wh:1", str(ctx))
    assert r.returncode == 0, r.stderr + r.stdout
    r = based("run", "--rm", "wh:1", "sh", "-c", "cat /x/victim /x/.wh.victim; ls -a /x")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:2] == ["keep", "a file"] and ".wh..wh..opq" in r.stdout, r.stdout
