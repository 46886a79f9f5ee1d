# Tests of the resource (cgroup) side of the Python bindings: the ctypes
# structs, berth.cgroup, resource keywords of run()/create(), Container
# pause/resume/update/stats/oom_killed/cgroup. Real cgroups.
#
#   BERTH_LIBRARY=build/lib/libberth.so.0 PYTHONPATH=bindings/python \
#       /usr/bin/python3 -m pytest -q tests/python/test_bindings_resources.py
#
# Every test that makes cgroups puts them below a parent of its own
# ("berth/py<pid>-<n>", the `parent` fixture), which is checked to hold no
# cgroup afterwards.
import contextlib
import ctypes
import itertools
import os
import signal
import stat
import subprocess
import time

import pytest

import berth
import berth.cgroup
from berth import _lib

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INCLUDE = os.path.join(SRC, "include")
CG = "/sys/fs/cgroup"
V2 = os.path.exists(os.path.join(CG, "cgroup.controllers"))
_seq = itertools.count(1)
HOG = ["sh", "-c", "x=a; while true; do x=$x$x$x$x; done"]


# ----------------------------------------------------------------- helpers

def hierarchies():
    if V2:
        return [CG]
    return [os.path.join(CG, n) for n in sorted(os.listdir(CG))
            if os.path.isdir(os.path.join(CG, n)) and not os.path.islink(os.path.join(CG, n))]


def cg_dirs(rel):
    return [os.path.join(h, rel) for h in hierarchies() if os.path.isdir(os.path.join(h, rel))]


def children(rel):
    return [os.path.join(d, e) for d in cg_dirs(rel) for e in os.listdir(d) if os.path.isdir(os.path.join(d, e))]


def cg_read(controller, rel, name):
    base = CG if V2 else os.path.join(CG, controller)
    with open(os.path.join(base, rel, name)) as f:
        return f.read().strip()


def wait_for(cond, timeout=10.0, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def _rmdir_tree(path):
    for dirpath, _dirs, _files in os.walk(path, topdown=False):
        try:
            os.rmdir(dirpath)
        except OSError:
            pass


@pytest.fixture
def ctx(roots):
    root, run_root = roots
    c = berth.Context(root=root, run_root=run_root)
    yield c
    c.close()


@pytest.fixture
def parent(ctx):
    """A cgroup parent of the test's own; afterwards no container (they are
    force-deleted and the test fails) and no cgroup below it may be left."""
    rel = "berth/py%d-%d" % (os.getpid(), next(_seq))
    yield rel
    problems = []
    left = ctx.container_ids()
    if left:
        problems.append("containers %s" % left)
        for c in ctx.containers():
            with c:
                try:
                    c.delete(force=True)
                except berth.BerthError:
                    pass
    kids = children(rel)
    if kids:
        problems.append("cgroups %s" % kids)
    for d in cg_dirs(rel):
        _rmdir_tree(d)
    assert not problems, "left behind: " + "; ".join(problems)


@contextlib.contextmanager
def created(ctx, parent, *args, **kw):
    """ctx.create(..., cgroup_parent=parent) that force-deletes the container
    however the test ends, then checks its cgroup is gone."""
    c = ctx.create(*args, cgroup_parent=parent, **kw)
    cid = c.id
    try:
        yield c
    finally:
        try:
            c.delete(force=True)
        except berth.NotFound:
            pass
        c.close()
    assert cg_dirs(parent + "/" + cid) == [], "cgroup of %s left" % cid


# ---------------------------------------------------------------- layout

STRUCT_PROBE = r"""
#include <berth/berth.h>
#include <stddef.h>
#include <stdio.h>
#define SZ(T) printf("size " #T " %zu\n", sizeof(T));
#define OFF(T, f) printf("off " #T " " #f " %zu\n", offsetof(T, f));
int main(void)
{
	SZ(berth_cgroup_resources) OFF(berth_cgroup_resources, version) OFF(berth_cgroup_resources, memory_limit)
	OFF(berth_cgroup_resources, memory_reservation) OFF(berth_cgroup_resources, memory_swap)
	OFF(berth_cgroup_resources, cpu_shares) OFF(berth_cgroup_resources, cpu_quota)
	OFF(berth_cgroup_resources, cpu_period) OFF(berth_cgroup_resources, cpuset_cpus)
	OFF(berth_cgroup_resources, cpuset_mems) OFF(berth_cgroup_resources, pids_limit)
	OFF(berth_cgroup_resources, blkio_weight)
	SZ(berth_cgroup_stats) OFF(berth_cgroup_stats, version) OFF(berth_cgroup_stats, memory_usage)
	OFF(berth_cgroup_stats, memory_peak) OFF(berth_cgroup_stats, memory_limit)
	OFF(berth_cgroup_stats, memory_oom_kills) OFF(berth_cgroup_stats, cpu_usage_ns)
	OFF(berth_cgroup_stats, cpu_user_ns) OFF(berth_cgroup_stats, cpu_system_ns)
	OFF(berth_cgroup_stats, cpu_throttled_periods) OFF(berth_cgroup_stats, cpu_throttled_ns)
	OFF(berth_cgroup_stats, pids_current) OFF(berth_cgroup_stats, pids_limit)
	OFF(berth_cgroup_stats, io_read_bytes) OFF(berth_cgroup_stats, io_write_bytes)
	OFF(berth_cgroup_stats, io_read_ops) OFF(berth_cgroup_stats, io_write_ops)
	berth_cgroup_resources r = BERTH_CGROUP_RESOURCES_INIT;
	printf("init %u %lld %lld %lld %lld %lld %lld %d %d %lld %lld\n", r.version, (long long)r.memory_limit,
	       (long long)r.memory_reservation, (long long)r.memory_swap, (long long)r.cpu_shares,
	       (long long)r.cpu_quota, (long long)r.cpu_period, !!r.cpuset_cpus, !!r.cpuset_mems,
	       (long long)r.pids_limit, (long long)r.blkio_weight);
	printf("const %lld %d %d %d %d %d %d\n", (long long)BERTH_CGROUP_UNSET, BERTH_CGROUP_RESOURCES_VERSION,
	       BERTH_CGROUP_STATS_VERSION, BERTH_CGROUP_NONE, BERTH_CGROUP_V1, BERTH_CGROUP_HYBRID, BERTH_CGROUP_V2);
	return 0;
}
"""


def test_struct_layouts_and_init_values_match_c(tmp_path):
    src, exe = tmp_path / "probe.c", tmp_path / "probe"
    src.write_text(STRUCT_PROBE)
    subprocess.run(["cc", "-std=c11", "-I", INCLUDE, str(src), "-o", str(exe)], check=True)
    lines = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.splitlines()
    structs = {"berth_cgroup_resources": _lib.CgroupResources, "berth_cgroup_stats": _lib.CgroupStats}
    checked = 0
    for line in lines:
        p = line.split()
        if p[0] == "size":
            assert ctypes.sizeof(structs[p[1]]) == int(p[2]), line
            checked += 1
        elif p[0] == "off":
            assert getattr(structs[p[1]], p[2]).offset == int(p[3]), line
            checked += 1
    assert checked == 2 + 11 + 16
    # every field of the ctypes structs was compared
    assert len(_lib.CgroupResources._fields_) == 11 and len(_lib.CgroupStats._fields_) == 16
    init = [p for p in lines if p.startswith("init ")][0].split()[1:]
    d = _lib.cgroup_resources_defaults()
    mine = [str(getattr(d, n)) if n not in ("cpuset_cpus", "cpuset_mems") else str(int(bool(getattr(d, n))))
            for n, _t in d._fields_]
    assert mine == init
    const = [int(x) for x in [p for p in lines if p.startswith("const ")][0].split()[1:]]
    assert const == [_lib.CGROUP_UNSET, _lib.CGROUP_RESOURCES_VERSION, _lib.CGROUP_STATS_VERSION,
                     berth.cgroup.MODE_NONE, berth.cgroup.MODE_V1, berth.cgroup.MODE_HYBRID, berth.cgroup.MODE_V2]


def test_resources_init_function_fills_the_init_values():
    r = _lib.CgroupResources()
    _lib.lib.berth_cgroup_resources_init(ctypes.byref(r), _lib.CGROUP_RESOURCES_VERSION)
    d = _lib.cgroup_resources_defaults()
    # field by field: the padding after version is not defined
    assert [getattr(r, n) for n, _t in r._fields_] == [getattr(d, n) for n, _t in d._fields_]
    with pytest.raises(berth.InvalidArgument):
        _lib.lib.berth_cgroup_resources_init(ctypes.byref(_lib.CgroupResources()), 9999)


def test_new_functions_are_declared():
    for name in ("berth_container_pause", "berth_container_resume", "berth_container_update",
                 "berth_container_stats", "berth_container_oom_killed", "berth_container_cgroup",
                 "berth_spec_set_resources", "berth_spec_set_cgroup_parent", "berth_cgroup_mode_detect",
                 "berth_cgroup_mode_name", "berth_cgroup_resources_init", "berth_cgroup_create",
                 "berth_cgroup_open", "berth_cgroup_free", "berth_cgroup_path", "berth_cgroup_get_mode",
                 "berth_cgroup_unified_fd", "berth_cgroup_attach", "berth_cgroup_set", "berth_cgroup_set_json",
                 "berth_cgroup_stats_read", "berth_cgroup_freeze", "berth_cgroup_frozen", "berth_cgroup_kill",
                 "berth_cgroup_pids", "berth_cgroup_destroy"):
        assert name in _lib.DECLARATIONS, name
        assert name not in _lib.MISSING, name
        f = getattr(_lib.cdll, name)
        assert f.argtypes is not None and list(f.argtypes) == list(_lib.DECLARATIONS[name][1]), name


# ---------------------------------------------------------------- pure Python

def test_parse_size():
    ps = berth.cgroup.parse_size
    assert ps(4096) == 4096
    assert ps("4096") == 4096
    assert ps("512m") == 512 << 20 and ps("512M") == 512 << 20
    assert ps("1g") == 1 << 30 and ps("1G") == 1 << 30 and ps("1GiB") == 1 << 30 and ps("1gb") == 1 << 30
    assert ps("1024k") == 1 << 20 and ps("10b") == 10
    assert ps("1.5g") == 3 << 29
    assert ps(-1) == -1 and ps("-1") == -1
    for bad in ("12q", "-5", "", "m", "1 x", "0", 0, -5):
        with pytest.raises(berth.InvalidArgument) as e:
            ps(bad, "memory")
        assert "memory" in str(e.value)
    with pytest.raises(berth.InvalidArgument):
        ps(-1, "memory", unlimited=False)
    with pytest.raises(TypeError):
        ps(1.5)


def test_resources_keywords():
    r = berth.cgroup.resources(memory="64m", memory_swap=-1, memory_reservation="32m", cpus=0.5,
                               cpu_shares=512, cpuset_cpus="0", cpuset_mems=0, pids_limit=0, blkio_weight=500)
    assert r.version == 1
    assert r.memory_limit == 64 << 20 and r.memory_swap == -1 and r.memory_reservation == 32 << 20
    assert r.cpu_quota == 50000 and r.cpu_period == 100000 and r.cpu_shares == 512
    assert r.cpuset_cpus == b"0" and r.cpuset_mems == b"0"
    assert r.pids_limit == -1 and r.blkio_weight == 500
    u, d = berth.cgroup.resources(), _lib.cgroup_resources_defaults()
    assert [getattr(u, n) for n, _t in u._fields_] == [getattr(d, n) for n, _t in d._fields_]
    assert berth.cgroup.resources(pids_limit=-1).pids_limit == -1
    assert berth.cgroup.resources(cpu_quota=-1, cpu_period=50000).cpu_quota == -1
    for kw in ({"cpus": 0}, {"cpus": -1}, {"cpus": (os.cpu_count() or 1) + 1}, {"cpus": "x"},
               {"cpus": 0.001}, {"cpus": 1, "cpu_quota": 1000}, {"cpu_shares": "many"}, {"memory": "12q"}):
        with pytest.raises(berth.InvalidArgument) as e:
            berth.cgroup.resources(**kw)
        assert list(kw)[0] in str(e.value), (kw, str(e.value))


def test_mode():
    m = berth.cgroup.mode()
    assert m in ("v1", "hybrid", "v2")
    if V2:
        assert m == "v2"
    elif os.path.isdir(os.path.join(CG, "unified")):
        assert m == "hybrid"
    else:
        assert m == "v1"
    assert berth.cgroup.mode_name(berth.cgroup.mode_code()) == m
    assert berth.cgroup.mode_name(0) == "none"


def test_spec_set_resources_and_parent():
    s = berth.Spec()
    s.set_resources(memory="64m", cpus=1.5, pids_limit=100, cpuset_cpus="0-1")
    res = s.get("/linux/resources")
    assert res["memory"]["limit"] == 64 << 20
    assert res["cpu"]["quota"] == 150000 and res["cpu"]["period"] == 100000 and res["cpu"]["cpus"] == "0-1"
    assert res["pids"]["limit"] == 100
    s.set_resources(memory_reservation="16m")  # others keep their value
    res = s.get("/linux/resources")
    assert res["memory"]["limit"] == 64 << 20 and res["memory"]["reservation"] == 16 << 20
    s.set_resources(_lib.cgroup_resources_defaults())  # nothing set: nothing changes
    assert s.get("/linux/resources") == res
    s.set_cgroup_parent("berth/jobs")
    with pytest.raises(berth.InvalidArgument) as e:
        s.set_cgroup_parent("../x")
    assert "../x" in str(e.value)
    with pytest.raises(berth.InvalidArgument) as e:
        s.set_resources(cpuset_cpus="0-63")
    assert "0-63" in str(e.value)
    with pytest.raises(TypeError):
        s.set_resources(memroy="1g")
    s.close()


def test_unknown_keyword_is_a_type_error(ctx, rootfs):
    with pytest.raises(TypeError):
        ctx.run(["true"], rootfs=rootfs, memroy="64m")
    with pytest.raises(TypeError):
        ctx.create(["true"], rootfs=rootfs, cpu="1")
    assert ctx.container_ids() == []


# ---------------------------------------------------------------- containers

def test_oom_killed(ctx, rootfs, parent):
    r = ctx.run(HOG, rootfs=rootfs, memory="32m", remove=False, cgroup_parent=parent, timeout=120)
    assert r.exit_code == 137 and r.signal == signal.SIGKILL
    with ctx.container(r.id) as c:
        assert c.oom_killed is True
        info = c.inspect()
        assert info["oomKilled"] is True
        assert info["config"]["linux"]["resources"]["memory"]["limit"] == 32 << 20
        c.delete()
    assert cg_dirs(parent + "/" + r.id) == []


def test_not_oom_killed(ctx, rootfs, parent):
    r = ctx.run(["sh", "-c", "exit 4"], rootfs=rootfs, memory=64 << 20, remove=False, cgroup_parent=parent)
    assert r.exit_code == 4
    with ctx.container(r.id) as c:
        assert c.oom_killed is False
        assert c.inspect()["oomKilled"] is False
        c.delete()
    assert cg_dirs(parent + "/" + r.id) == []


def test_run_with_limits_sees_them(ctx, rootfs, parent):
    r = ctx.run(["cat", "/proc/self/cgroup"], rootfs=rootfs, capture_output=True, memory="64m", pids_limit=32,
                cpus=0.5, cgroup_parent=parent)
    assert r.exit_code == 0, r.stderr
    assert ctx.container_ids() == []
    assert cg_dirs(parent + "/" + r.id) == []


def test_limits_in_the_cgroup(ctx, rootfs, parent):
    with created(ctx, parent, ["sleep", "300"], rootfs=rootfs, memory="64m", memory_swap="128m",
                 memory_reservation="32m", cpus=0.5, pids_limit=16, cpuset_cpus="0", start=True) as c:
        rel = parent + "/" + c.id
        if V2:
            assert cg_read("memory", rel, "memory.max") == str(64 << 20)
            assert cg_read("cpu", rel, "cpu.max") == "50000 100000"
        else:
            assert cg_read("memory", rel, "memory.limit_in_bytes") == str(64 << 20)
            assert cg_read("memory", rel, "memory.soft_limit_in_bytes") == str(32 << 20)
            assert cg_read("cpu", rel, "cpu.cfs_quota_us") == "50000"
            assert cg_read("cpu", rel, "cpu.cfs_period_us") == "100000"
            assert cg_read("cpuset", rel, "cpuset.cpus") == "0"
        assert cg_read("pids", rel, "pids.max") == "16"


def test_pids_limit(ctx, rootfs, parent):
    loop = "i=0; while [ $i -lt 40 ]; do sleep 300 >/dev/null 2>&1 & i=$((i+1)); done; echo done"
    with created(ctx, parent, ["sleep", "300"], rootfs=rootfs, pids_limit=16, start=True) as c:
        r = c.exec(["sh", "-c", loop], capture_output=True)
        assert r.exit_code != 0 and b"done" not in r.stdout and b"fork" in r.stderr, r
        s = c.stats()
        assert s.pids_current == 15 and s.pids_limit == 16
        r = c.exec(["sh", "-c", "sleep 1 & wait"], capture_output=True)
        assert r.exit_code != 0 and b"fork" in r.stderr
        assert c.exec(["true"]).exit_code == 0


def test_stats(ctx, rootfs, parent):
    with created(ctx, parent, ["sh", "-c", "sleep 300 & sleep 300 & wait"], rootfs=rootfs, memory="64m",
                 start=True) as c:
        wait_for(lambda: c.stats().pids_current == 3, what="3 processes")
        s = c.stats()
        assert isinstance(s, berth.cgroup.Stats)
        assert s.memory_usage > 0 and s["memory_usage"] == s.memory_usage
        assert s.memory_limit == 64 << 20
        assert s.cpu_usage_ns > 0
        d = s.to_dict()
        assert set(d) == {n for n, _t in _lib.CgroupStats._fields_} - {"version"}
        assert all(isinstance(v, int) for v in d.values())
        t0 = c.stats().cpu_usage_ns
        c.exec(["sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"])
        assert c.stats().cpu_usage_ns > t0
        c.kill(signal.SIGKILL)
        c.wait(10)
        with pytest.raises(berth.StateError):
            c.stats()


def test_unlimited_stats(ctx, rootfs, parent):
    with created(ctx, parent, ["sleep", "300"], rootfs=rootfs, start=True) as c:
        s = c.stats()
        assert s.memory_limit == -1 and s.pids_limit == -1
        assert s.pids_current == 1


def test_pause_resume(ctx, rootfs, parent):
    with created(ctx, parent, ["sleep", "300"], rootfs=rootfs, start=True) as c:
        rel = parent + "/" + c.id
        c.pause()
        assert c.status == "paused"
        if not V2:
            assert cg_read("freezer", rel, "freezer.state") == "FROZEN"
        with pytest.raises(berth.StateError) as e:
            c.exec(["true"])
        assert "paused" in str(e.value)
        with pytest.raises(berth.StateError):
            c.pause()
        with c.cgroup() as cg:
            assert cg.frozen is True
            assert c.pid in cg.pids()
        c.resume()
        assert c.status == "running"
        if not V2:
            assert cg_read("freezer", rel, "freezer.state") == "THAWED"
        assert c.exec(["echo", "ok"], capture_output=True).stdout == b"ok\n"
        c.pause()
        c.unpause()
        assert c.status == "running"
        with pytest.raises(berth.StateError):
            c.resume()


def test_delete_force_paused(ctx, rootfs, parent):
    c = ctx.create(["sleep", "300"], rootfs=rootfs, cgroup_parent=parent, start=True)
    cid = c.id
    c.pause()
    c.delete(force=True)
    c.close()
    assert ctx.container_ids() == []
    assert cg_dirs(parent + "/" + cid) == []


def test_stop_and_kill_paused(ctx, rootfs, parent):
    with created(ctx, parent, ["sleep", "300"], rootfs=rootfs, start=True) as c:
        c.pause()
        t0 = time.time()
        c.stop(timeout=1)
        assert c.wait(10) in (137, 143) and time.time() - t0 < 10
        assert c.status == "stopped"
    with created(ctx, parent, ["sleep", "300"], rootfs=rootfs, start=True) as c:
        c.pause()
        c.kill(signal.SIGKILL)
        assert c.wait(10) == 137
    with created(ctx, parent, ["sleep", "300"], rootfs=rootfs, start=True, detach=True) as c:
        c.pause()
        t0 = time.time()
        c.delete(force=True)
        assert time.time() - t0 < 5


def test_update(ctx, rootfs, parent):
    with created(ctx, parent, ["sleep", "300"], rootfs=rootfs, memory="32m", start=True) as c:
        rel = parent + "/" + c.id
        c.update(memory="64m", pids_limit=40)
        if V2:
            assert cg_read("memory", rel, "memory.max") == str(64 << 20)
        else:
            assert cg_read("memory", rel, "memory.limit_in_bytes") == str(64 << 20)
        assert cg_read("pids", rel, "pids.max") == "40"
        assert c.stats().memory_limit == 64 << 20
        res = c.inspect()["config"]["linux"]["resources"]
        assert res["memory"]["limit"] == 64 << 20 and res["pids"]["limit"] == 40
        c.update(cpus=0.25)
        if not V2:
            assert cg_read("cpu", rel, "cpu.cfs_quota_us") == "25000"
            assert cg_read("memory", rel, "memory.limit_in_bytes") == str(64 << 20)
        with pytest.raises(berth.InvalidArgument) as e:
            c.update(cpuset_cpus="0-63")
        assert "0-63" in str(e.value)
        with pytest.raises(berth.InvalidArgument):
            c.update(memory="12q")
        with pytest.raises(TypeError):
            c.update(memroy="1g")
        # paused containers can be updated too
        c.pause()
        c.update(pids_limit=50)
        assert cg_read("pids", rel, "pids.max") == "50"
        c.resume()


def test_container_cgroup_handle(ctx, rootfs, parent):
    with created(ctx, parent, ["sleep", "300"], rootfs=rootfs, start=True) as c:
        with c.cgroup() as cg:
            assert cg.path.endswith(c.id)
            assert cg.path == parent + "/" + c.id
            assert cg.mode == berth.cgroup.mode()
            assert cg.pids() == [c.pid]
            assert cg.stats().pids_current == 1
            dirs = cg.directories()
            assert dirs and all(p.endswith(parent + "/" + c.id) for p in dirs.values())


@pytest.mark.parametrize("kw", [{"memory": "12q"}, {"memory": -5}, {"cpus": 0}, {"cpus": 99},
                                {"cpuset_cpus": "0-63"}, {"cgroup_parent": "../x"}, {"blkio_weight": 5},
                                {"cpu_shares": -3}],
                         ids=lambda kw: "%s=%s" % list(kw.items())[0])
def test_bad_values_leave_nothing(ctx, rootfs, parent, kw):
    key, value = list(kw.items())[0]
    args = dict(kw)
    args.setdefault("cgroup_parent", parent)
    for fn in (ctx.run, ctx.create):
        with pytest.raises(berth.InvalidArgument) as e:
            fn(["true"], rootfs=rootfs, **args)
        msg = str(e.value)
        assert str(value) in msg, msg
        assert ctx.container_ids() == []
        assert children(parent) == []


# ---------------------------------------------------------------- berth.cgroup.Cgroup

def test_cgroup_standalone(parent):
    cg = berth.cgroup.Cgroup.create("job", parent=parent)
    p = None
    try:
        assert cg.path == parent + "/job"
        assert cg_dirs(parent + "/job")
        cg.set(memory="16m", pids_limit=5)
        if not V2:
            assert cg_read("memory", parent + "/job", "memory.limit_in_bytes") == str(16 << 20)
        assert cg_read("pids", parent + "/job", "pids.max") == "5"
        cg.set_json({"pids": {"limit": 6}})
        assert cg_read("pids", parent + "/job", "pids.max") == "6"
        with pytest.raises(berth.InvalidArgument):
            cg.set(cpuset_cpus="0-63")
        p = subprocess.Popen(["sleep", "300"])
        cg.attach(p.pid)
        assert cg.pids() == [p.pid]
        s = cg.stats()
        assert s.pids_current == 1 and s.pids_limit == 6 and s.memory_limit == 16 << 20
        with berth.cgroup.Cgroup.open("job", parent=parent) as again:
            assert again.pids() == [p.pid]
        cg.freeze()
        assert cg.frozen is True
        cg.thaw()
        assert cg.frozen is False
        with pytest.raises(berth.Busy):
            cg.destroy()
        cg.kill()
        assert p.wait(10) == -signal.SIGKILL
        p = None
        wait_for(lambda: cg.pids() == [], what="empty cgroup")
        cg.destroy()
        assert cg_dirs(parent + "/job") == []
        with pytest.raises(berth.NotFound):
            berth.cgroup.Cgroup.open("job", parent=parent)
    finally:
        if p is not None:
            p.kill()
            p.wait()
        cg.close()
    with pytest.raises(berth.StateError):
        cg.pids()


def _tree():
    out = set()
    for h in hierarchies():
        for base in (h, os.path.join(h, "berth")):
            if os.path.isdir(base):
                out.update(os.path.join(base, e) for e in os.listdir(base) if os.path.isdir(os.path.join(base, e)))
    return out


def test_cgroup_bad_paths():
    before = _tree()
    for parent, path in ((None, "../x"), (None, ""), ("../evil", "x"), (None, "a/../../b"), ("berth/..", "y")):
        with pytest.raises(berth.InvalidArgument) as e:
            berth.cgroup.Cgroup.create(path, parent=parent)
        assert ".." in str(e.value) or "empty" in str(e.value) or "path" in str(e.value), str(e.value)
    # nothing these paths would name was made (other containers may come and
    # go below berth/ meanwhile: only the names at stake are compared)
    stake = {"x", "evil", "a", "b", "y"}
    assert {d for d in _tree() - before if os.path.basename(d) in stake} == set()


def test_cgroup_unified_fd(parent):
    with berth.cgroup.Cgroup.create("fd", parent=parent) as cg:
        try:
            fd = cg.unified_fd()
            mode = berth.cgroup.mode()
            if mode == "v1":
                assert fd is None
            else:
                assert fd is not None and fd >= 0
                st = os.fstat(fd)
                os.close(fd)
                assert stat.S_ISDIR(st.st_mode)
        finally:
            cg.destroy()
    assert cg_dirs(parent + "/fd") == []
