"""Dockerfile ADD of local tar archives: plain, gzip, bzip2, xz and zstd tars are
unpacked into the destination as Docker does, a compressed file that is not a tar is
copied as it is, and a hostile tar cannot write outside the destination."""
import io
import os
import subprocess
import tarfile

import pytest

from test_build import _context, _layer_tmp_dirs, based, tarball  # noqa: F401 (fixtures)


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
