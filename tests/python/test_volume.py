"""Volumes through the Python bindings and the CLI: named volumes outlive
their container and are seeded from the image when empty, removal is refused
while in use, the image's VOLUMEs get anonymous volumes (rm -v / --rm remove
them), bad names are refused, nothing is left behind."""
import json
import os
import subprocess
import sys

import pytest

import berth
from conftest import CLI

HERE = os.path.dirname(os.path.abspath(__file__))
MKIMAGE = os.path.join(HERE, "..", "volume", "mkimage.py")


@pytest.fixture
def ctx(roots):
    with berth.Context(root=roots[0], run_root=roots[1]) as c:
        yield c
        # every test removes its volumes: none may be left
        assert c.volume_names() == []


def _image(root, tmp_path, rootfs, ref, volume=None):
    """busybox, then a layer with /data/file ("seed") owned 999:999 mode 0750."""
    bb = tmp_path / "bb.tar"
    if not bb.exists():
        subprocess.run(["tar", "-C", rootfs, "--numeric-owner", "-cf", str(bb), "."], check=True)
    layer = tmp_path / "l1"
    (layer / "data").mkdir(parents=True, exist_ok=True)
    (layer / "data" / "file").write_text("seed\n")
    os.chown(layer / "data", 999, 999)
    os.chown(layer / "data" / "file", 999, 999)
    os.chmod(layer / "data", 0o750)
    subprocess.run(["tar", "-C", str(layer), "--numeric-owner", "-cf", str(tmp_path / "l1.tar"), "."], check=True)
    cmd = [sys.executable, MKIMAGE, root, "docker.io/library/" + ref, "--layer", str(bb), "--layer",
           str(tmp_path / "l1.tar")]
    if volume:
        cmd += ["--volume", volume]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def test_named_volume_survives_and_is_shared(ctx, roots, rootfs, tmp_path):
    _image(roots[0], tmp_path, rootfs, "pyvol:1")
    r = ctx.run(["sh", "-c", "cat /data/file; stat -c '%u %a' /data; echo more > /data/more"], image="pyvol:1",
                volumes=["pydata:/data"], capture_output=True)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == b"seed\n999 750\n"
    v = ctx.volume("pydata")
    assert v["Name"] == "pydata" and v["Driver"] == "local" and v["Anonymous"] is False
    assert v["UsedBy"] == []
    with open(os.path.join(v["Mountpoint"], "more")) as f:
        assert f.read() == "more\n"
    # a second container, the tuple form
    r = ctx.run(["cat", "/data/more"], image="pyvol:1", volumes=[("pydata", "/data", "ro")], capture_output=True)
    assert r.stdout == b"more\n"
    with ctx.create(["true"], image="pyvol:1", volumes=["pydata:/data"]) as c:
        assert ctx.volume("pydata")["UsedBy"] == [c.id]
        with pytest.raises(berth.Busy) as e:
            ctx.remove_volume("pydata")
        assert c.id in str(e.value)
        c.delete(force=True)
    ctx.remove_volume("pydata")
    with pytest.raises(berth.NotFound):
        ctx.volume("pydata")
    assert not os.path.exists(v["Mountpoint"])


def test_seeded_only_when_empty(ctx, roots, rootfs, tmp_path):
    _image(roots[0], tmp_path, rootfs, "pyvol:1")
    assert ctx.create_volume("prefilled") == "prefilled"
    with open(os.path.join(ctx.volume("prefilled")["Mountpoint"], "own"), "w") as f:
        f.write("own\n")
    r = ctx.run(["ls", "/data"], image="pyvol:1", volumes=["prefilled:/data"], capture_output=True)
    assert r.stdout == b"own\n"
    ctx.remove_volume("prefilled")


def test_anonymous_volumes(ctx, roots, rootfs, tmp_path):
    _image(roots[0], tmp_path, rootfs, "pyvol:v", volume="/data")
    # run(remove=True) is docker run --rm: its anonymous volume goes
    r = ctx.run(["cat", "/data/file"], image="pyvol:v", capture_output=True)
    assert r.stdout == b"seed\n"
    assert ctx.volume_names() == []
    # kept by a plain delete, removed by delete(volumes=True)
    r = ctx.run(["true"], image="pyvol:v", remove=False, name="keeper")
    names = ctx.volume_names()
    assert len(names) == 1 and len(names[0]) == 64 and ctx.volume(names[0])["Anonymous"] is True
    ctx.container("keeper").delete()
    assert ctx.volume_names() == names
    ctx.run(["true"], image="pyvol:v", remove=False, name="goner")
    assert len(ctx.volume_names()) == 2
    ctx.container("goner").delete(volumes=True)
    assert ctx.volume_names() == names
    pruned = ctx.prune_volumes()
    assert pruned["VolumesDeleted"] == names and pruned["SpaceReclaimed"] >= 5


@pytest.mark.parametrize("bad", ["a", "-x", "a/b", "../etc", "x y", "a" * 129])
def test_bad_names(ctx, bad):
    with pytest.raises(berth.InvalidArgument) as e:
        ctx.create_volume(bad)
    assert "volume name" in str(e.value)
    with pytest.raises(berth.InvalidArgument):
        ctx.build_spec(["true"], volumes=[bad + ":/data"]) if "/" not in bad else ctx.build_spec(
            ["true"], volumes=[(bad, "/data")])


def test_cli(cli, rootfs, tmp_path):
    _image(cli.root, tmp_path, rootfs, "clivol:1", volume="/data")
    assert cli("volume", "create", "clidata").stdout == "clidata\n"
    r = cli("run", "--rm", "-v", "clidata:/data", "clivol:1", "cat", "/data/file")
    assert r.returncode == 0 and r.stdout == "seed\n", r.stderr
    r = cli("run", "--name", "user1", "-v", "clidata:/data", "clivol:1", "true")
    assert r.returncode == 0, r.stderr
    ls = cli("volume", "ls")
    assert ls.returncode == 0
    assert ls.stdout.splitlines()[0].split() == ["DRIVER", "VOLUME", "NAME", "USED", "BY"]
    row = [line.split() for line in ls.stdout.splitlines()[1:]]
    cid = json.loads(cli("inspect", "user1").stdout)[0]["id"]
    assert ["local", "clidata", cid[:12]] in row
    r = cli("volume", "rm", "clidata")
    assert r.returncode == 125 and "in use by container %s (user1)" % cid in r.stderr
    # --format json: one object per line
    objs = [json.loads(line) for line in cli("volume", "ls", "--format", "json").stdout.splitlines()]
    assert [o["Name"] for o in objs] == ["clidata"] and objs[0]["UsedBy"] == [cid]
    assert json.loads(cli("volume", "inspect", "clidata").stdout)[0]["Name"] == "clidata"
    # rm without -v keeps an anonymous volume, rm -v removes it
    assert cli("run", "--name", "anon1", "clivol:1", "true").returncode == 0
    assert cli("run", "--name", "anon2", "clivol:1", "true").returncode == 0
    assert len(cli("volume", "ls", "-q").stdout.split()) == 3
    assert cli("rm", "anon1").returncode == 0
    assert cli("rm", "-v", "anon2").returncode == 0
    assert len(cli("volume", "ls", "-q").stdout.split()) == 2
    assert cli("rm", "user1").returncode == 0
    r = cli("volume", "prune")
    assert r.returncode == 0 and "Deleted Volumes:" in r.stdout
    assert cli("volume", "ls", "-q").stdout.split() == ["clidata"]
    assert cli("volume", "rm", "clidata").stdout == "clidata\n"
    r = cli("volume", "rm", "clidata")
    assert r.returncode == 125 and "no such volume" in r.stderr
    assert cli("volume", "rm", "-f", "clidata").returncode == 0
    r = cli("run", "--rm", "-v", "x:/data", "clivol:1", "true")
    assert r.returncode == 125 and "neither an absolute host path nor a volume name" in r.stderr
    assert cli("volume", "--help").returncode == 0 and "prune" in cli("volume", "--help").stdout
    assert cli("volume", "ls", "-q").stdout == ""


def test_cli_vfs_driver(cli, rootfs, tmp_path):
    """BERTH_STORAGE_DRIVER=vfs reaches the monitor of a detached container:
    its rootfs is a copy in its own dir, gone with it; a volume is seeded the same."""
    _image(cli.root, tmp_path, rootfs, "vfsimg:1")
    env = dict(os.environ, BERTH_STORAGE_DRIVER="vfs")
    cmd = [CLI, "--root", cli.root, "--run-root", cli.run_root]
    r = subprocess.run(cmd + ["run", "-d", "--name", "v", "-v", "vfsdata:/data", "vfsimg:1", "sleep", "30"],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    cid = r.stdout.strip()
    copy = os.path.join(cli.root, "containers", cid, "rootfs")
    with open(os.path.join(copy, "data", "file")) as f:
        assert f.read() == "seed\n"
    assert not os.path.exists(os.path.join(cli.root, "containers", cid, "upper"))
    r = cli("exec", "v", "sh", "-c", "cat /data/file; grep -c ' / / .* - overlay ' /proc/self/mountinfo")
    assert r.stdout == "seed\n0\n", r.stderr
    assert cli("rm", "-f", "v").returncode == 0
    assert not os.path.exists(os.path.join(cli.root, "containers", cid))
    assert cli("volume", "rm", "vfsdata").returncode == 0
