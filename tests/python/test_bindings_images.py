"""Images through the Python bindings: import, open, run image=..., tag,
remove, prune, and pull from a local registry (docker-registry on 127.0.0.1)."""
import os
import subprocess
import tempfile

import pytest

import berth

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def ctx(roots):
    with berth.Context(root=roots[0], run_root=roots[1]) as c:
        yield c


@pytest.fixture
def tarball(rootfs, tmp_path):
    path = tmp_path / "bb.tar"
    subprocess.run(["tar", "-C", rootfs, "--numeric-owner", "-cf", str(path), "."], check=True)
    return str(path)


def test_import_run_remove(ctx, tarball):
    img = ctx.import_image(tarball, "busybox:py")
    assert img.id.startswith("sha256:")
    assert img.tags == ["docker.io/library/busybox:py"]
    assert img.inspect()["RepoTags"] == ["busybox:py"]
    assert any(os.path.exists(os.path.join(d, "bin", "busybox")) for d in img.layer_dirs())
    r = ctx.run(["sh", "-c", "echo $$; id -u"], image="busybox:py", capture_output=True)
    assert r.exit_code == 0 and r.stdout.split() == [b"1", b"0"]
    r = ctx.run(["a", "b"], image=img, entrypoint="/bin/echo", capture_output=True)
    assert r.stdout == b"a b\n"
    ctx.tag_image("busybox:py", "other:2")
    assert sorted(i.id for i in ctx.images()) == [img.id]
    with ctx.create(["sleep", "30"], image=img) as c:
        c.start()
        with pytest.raises(berth.Busy):
            ctx.remove_image(img.id)
        c.delete(force=True)
    ctx.remove_image("busybox:py")
    ctx.remove_image("other:2")
    with pytest.raises(berth.NotFound):
        ctx.image("busybox:py")
    assert ctx.prune_images() > 0
    img.close()


def _skopeo_push(tarball, registry, tmp_path):
    """An image made here, pushed with skopeo as <registry>/py/busybox:1."""
    scratch = tempfile.mkdtemp(prefix="berth-pyscratch-", dir=str(tmp_path))
    with berth.Context(root=os.path.join(scratch, "r"), run_root=os.path.join(scratch, "rr")) as c2:
        c2.import_image(tarball, "busybox:src").close()
        src = "oci:%s/r/images:docker.io/library/busybox:src" % scratch
        subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", src,
                        "docker://%s/py/busybox:1" % registry], check=True)


def test_pull_from_a_local_registry(ctx, tarball, registry, tmp_path):
    _skopeo_push(tarball, registry, tmp_path)
    seen = []
    img = ctx.pull("%s/py/busybox:1" % registry, progress=lambda d, s, done, total: seen.append(s))
    assert "downloading" in seen and "done" in seen
    assert img.tags == ["%s/py/busybox:1" % registry]
    r = ctx.run(["sh", "-c", "echo pulled"], image=img, capture_output=True)
    assert r.stdout == b"pulled\n"
    img.close()
    with pytest.raises(berth.NotFound) as ei:
        ctx.pull("%s/py/busybox:nope" % registry)
    assert "manifest unknown" in str(ei.value)


def _store_temps(root, layers=False):
    """What a pull leaves while it runs: blobs being written, layers being
    unpacked (with layers=True: every layer, not only the temp ones)."""
    left = []
    for d in (os.path.join(root, "images", ".tmp"), os.path.join(root, "layers")):
        if os.path.isdir(d):
            left += [os.path.join(d, n) for n in os.listdir(d) if layers or n.startswith(".tmp")]
    return left


def test_progress_callback_stops_pull_and_push(ctx, roots, tarball, registry, tmp_path):
    _skopeo_push(tarball, registry, tmp_path)
    ref = "%s/py/busybox:1" % registry
    seen = []

    def stop_downloading(digest, status, done, total):
        seen.append(status)
        return status == "downloading"
    with pytest.raises(berth.Canceled) as ei:
        ctx.pull(ref, progress=stop_downloading)
    assert "canceled by the progress callback" in str(ei.value) and ref in str(ei.value), str(ei.value)
    assert ei.value.__cause__ is None
    assert seen[-1] == "downloading" and "done" not in seen
    assert _store_temps(roots[0], layers=True) == []
    assert ctx.images() == []

    # an exception in the callback stops it too, and is the cause
    def broken(digest, status, done, total):
        raise ValueError("progress bar broke")
    with pytest.raises(berth.Canceled) as ei:
        ctx.pull(ref, progress=broken)
    assert isinstance(ei.value.__cause__, ValueError) and str(ei.value.__cause__) == "progress bar broke"
    assert _store_temps(roots[0], layers=True) == [] and ctx.images() == []

    # a 0.1-style callback (returns None, or a non-bool such as write()'s count) goes on
    counted = []
    img = ctx.pull(ref, progress=lambda d, s, done, total: counted.append(s) or len(counted))
    assert "done" in counted and img.tags == [ref]
    img.close()

    # push: stopped at its first callback, nothing reaches the registry
    dest = "%s/py/stopped:1" % registry
    with pytest.raises(berth.Canceled) as ei:
        ctx.push(ref, dest, progress=lambda d, s, done, total: True)
    assert "canceled by the progress callback" in str(ei.value), str(ei.value)
    with pytest.raises(berth.NotFound):
        ctx.pull(dest)
    assert _store_temps(roots[0]) == []


def test_push_save_load_login(ctx, tarball, registry, tmp_path, monkeypatch):
    img = ctx.import_image(tarball, "busybox:py")
    seen = []
    ref = "%s/py/pushed:1" % registry
    digest = ctx.push("busybox:py", ref, chunk_size=500000, progress=lambda d, s, done, total: seen.append(s))
    assert digest.startswith("sha256:")
    assert seen[0] == "preparing" and seen.count("done") == 2 and "uploading" in seen
    seen.clear()
    assert ctx.push("busybox:py", ref, progress=lambda d, s, done, total: seen.append(s)) == digest
    assert seen.count("exists") == 2
    with pytest.raises(berth.NotFound):
        ctx.push("nosuch:1", ref)
    # save in both formats, load into another store
    for fmt in ("docker", "oci-archive"):
        path = str(tmp_path / ("bb-%s.tar" % fmt))
        ctx.save_images(["busybox:py"], path, format=fmt)
        with berth.Context(root=str(tmp_path / ("r-" + fmt)), run_root=str(tmp_path / ("rr-" + fmt))) as c2:
            assert c2.load_images(path) == [(img.id, "docker.io/library/busybox:py")]
            assert c2.image("busybox:py").id == img.id
            with open(path, "rb") as f:  # from an open fd too
                assert c2.load_images(f.fileno()) == [(img.id, "docker.io/library/busybox:py")]
    # a berth.Image saves all its references
    ctx.tag_image("busybox:py", "example.com/py/bb:2")
    ctx.save_images(img, str(tmp_path / "both.tar"))
    with berth.Context(root=str(tmp_path / "r-both"), run_root=str(tmp_path / "rr-both")) as c2:
        assert sorted(c2.load_images(str(tmp_path / "both.tar"))) == \
            [(img.id, "docker.io/library/busybox:py"), (img.id, "example.com/py/bb:2")]
    with pytest.raises(ValueError):
        ctx.save_images(["busybox:py"], str(tmp_path / "x.tar"), format="zip")
    with pytest.raises(berth.NotFound):
        ctx.save_images(["nosuch:1"], str(tmp_path / "x.tar"))
    assert not (tmp_path / "x.tar").exists()
    # login (the test registry has no auth: any credentials pass) and logout
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "dc"))
    ctx.login(registry, "user", "pw")
    assert os.stat(tmp_path / "dc" / "config.json").st_mode & 0o777 == 0o600
    ctx.logout(registry)
    with pytest.raises(berth.NotFound):
        ctx.logout(registry)
    img.close()
