# The code blocks of README.md and docs/*.md run, so that the docs stay true.
#
# Which blocks run (the rule for whoever writes docs):
# - A fenced block whose info string is `python` or `sh` runs.
# - The word `norun` after the language (```python norun, ```sh norun) marks a
#   block that is not run: it needs what a test cannot give it (a registry, a
#   private network namespace, a container whose monitor was killed), or it is
#   a signature rather than code. Say why in the text around it when that
#   is not plain.
# - Other blocks (c, json, no language: listings, grammars, outputs) are
#   reference and not run; indented blocks are not looked at.
#
# How they run, against the test's own state roots (never the machine's):
# - python: a fresh interpreter with the bindings under test; the paths
#   /var/lib/berth, /run/berth and /srv/rootfs in the block are replaced by the
#   test's root, run root and a busybox rootfs. Predefined: berth, signal,
#   threading, ctx (a Context on the test roots), R and rootfs (the rootfs); the
#   working directory is a temporary one holding the build contexts
#   "path/to/context" and "ctx" (a Dockerfile FROM scratch).
# - sh: bash -e with the built `berth` first on PATH, BERTH_ROOT/BERTH_RUN_ROOT
#   the test roots, BERTH_NETWORK=none, /srv/rootfs replaced as above.
# Afterwards every container of the roots is removed (the roots fixture then
# checks that no state, mount or monitor is left), and a cgroup parent a block
# made (berth/jobs) is destroyed.
import glob
import os
import re
import subprocess
import sys
import textwrap

import pytest

import berth

from conftest import CLI

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DOCS = ["README.md"] + sorted(os.path.relpath(p, SRC) for p in glob.glob(os.path.join(SRC, "docs", "*.md")))
RUNNABLE = ("python", "sh")
FENCE = re.compile(r"^(```+|~~~+)\s*(.*)$")
CGROUP_PARENTS = ("berth/jobs",)  # parents the docs' examples use


def blocks():
    """(file, line, language, norun, code) of every fenced block of the docs."""
    out = []
    for rel in DOCS:
        with open(os.path.join(SRC, rel)) as f:
            lines = f.read().split("\n")
        i = 0
        while i < len(lines):
            m = FENCE.match(lines[i])
            if not m:
                i += 1
                continue
            fence, info = m.group(1), m.group(2).split()
            start, i = i, i + 1
            while i < len(lines) and not lines[i].startswith(fence):
                i += 1
            lang = info[0] if info else ""
            out.append((rel, start + 1, lang, "norun" in info[1:], "\n".join(lines[start + 1:i])))
            i += 1
    return out


ALL = blocks()
RUN = [b for b in ALL if b[2] in RUNNABLE and not b[3]]


def test_blocks_counted():
    """Every python/sh block either runs or says norun; most of them run."""
    marked = [b for b in ALL if b[2] in RUNNABLE and b[3]]
    other = [b for b in ALL if b[2] not in RUNNABLE]
    print("docs blocks: %d run, %d marked norun, %d other (c, json, listings)" % (len(RUN), len(marked), len(other)))
    for rel, line, lang, norun, code in ALL:
        assert lang in RUNNABLE + ("c", "json", ""), "%s:%d: unknown block language %r" % (rel, line, lang)
    assert len(RUN) >= 8, "only %d doc blocks run" % len(RUN)


def _substitute(code, root, run_root, rootfs):
    return code.replace("/var/lib/berth", root).replace("/run/berth", run_root).replace("/srv/rootfs", rootfs)


PRELUDE = """
import os, signal, sys, threading
import berth
ctx = berth.Context(root=%r, run_root=%r)
R = rootfs = %r
"""
# no interpreter-exit wait for a block's timer threads (build.md's cancel example)
EPILOGUE = "\nsys.stdout.flush(); sys.stderr.flush(); os._exit(0)\n"


def _contexts(cwd):
    for d in ("path/to/context", "ctx"):
        os.makedirs(os.path.join(cwd, d))
        with open(os.path.join(cwd, d, "hello.txt"), "w") as f:
            f.write("hello\n")
        with open(os.path.join(cwd, d, "Dockerfile"), "w") as f:
            f.write("FROM scratch\nARG VERSION=1\nCOPY hello.txt /\nLABEL version=$VERSION\n")


def _cgroups_present():
    present = set()
    for p in CGROUP_PARENTS:
        try:
            berth.cgroup.Cgroup.open(p.split("/", 1)[1]).close()
            present.add(p)
        except berth.NotFound:
            pass
    return present


def _cleanup(root, run_root, cgroups_before):
    with berth.Context(root=root, run_root=run_root) as ctx:
        for c in ctx.containers():
            with c:
                c.delete(force=True, volumes=True)
    for p in set(CGROUP_PARENTS) - cgroups_before:
        try:
            with berth.cgroup.Cgroup.open(p.split("/", 1)[1]) as cg:
                cg.destroy()
        except berth.NotFound:
            pass


@pytest.mark.parametrize("block", RUN, ids=["%s:%d" % (b[0], b[1]) for b in RUN])
def test_block_runs(block, roots, rootfs, tmp_path):
    rel, line, lang, _, code = block
    root, run_root = roots
    code = _substitute(code, root, run_root, rootfs)
    _contexts(str(tmp_path))
    env = dict(os.environ, BERTH_ROOT=root, BERTH_RUN_ROOT=run_root, BERTH_NETWORK="none")
    before = _cgroups_present()
    try:
        if lang == "python":
            prog = PRELUDE % (root, run_root, rootfs) + textwrap.dedent(code) + EPILOGUE
            cmd = [sys.executable, "-c", prog]
        else:
            bindir = tmp_path / "bin"
            bindir.mkdir()
            # a wrapper, not a symlink: the CLI finds its monitor from the path it was run as
            (bindir / "berth").write_text('#!/bin/sh\nexec %s "$@"\n' % os.path.abspath(CLI))
            (bindir / "berth").chmod(0o755)
            env["PATH"] = "%s:%s" % (bindir, env.get("PATH", "/usr/bin:/bin"))
            cmd = ["bash", "-e", "-o", "pipefail", "-c", code]
        r = subprocess.run(cmd, cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300)
    finally:
        _cleanup(root, run_root, before)
    assert r.returncode == 0, "%s:%d (%s) failed with %d:\n%s\n--- stdout:\n%s--- stderr:\n%s" % (
        rel, line, lang, r.returncode, code, r.stdout, r.stderr)
