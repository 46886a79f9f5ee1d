"""A hostile registry cannot fill the disk: declared sizes are checked against the
free space and the limits (BERTH_MAX_BLOB_SIZE, BERTH_MAX_IMAGE_SIZE, the context
options) before anything is downloaded, a blob may not stream more than it declares,
a manifest may not be endless, and a killed pull leaves no temp files behind."""
import os
import signal
import subprocess
import time

import pytest

import berth
from conftest import CLI
from regtools import HostileRegistry, tar_bytes

TIB = 1 << 40


@pytest.fixture
def hostile():
    h = HostileRegistry()
    yield h
    h.stop()


def _temps(root):
    """Temp entries of the store: blobs being written, layers being unpacked."""
    left = []
    d = os.path.join(root, "images", ".tmp")
    if os.path.isdir(d):
        left += [os.path.join(d, n) for n in os.listdir(d)]
    d = os.path.join(root, "layers")
    if os.path.isdir(d):
        left += [os.path.join(d, n) for n in os.listdir(d) if n.startswith(".tmp")]
    return left


def _layer(n_bytes, name="data"):
    return tar_bytes([(name, os.urandom(n_bytes))])


def test_a_layer_declaring_a_tebibyte_is_refused_before_any_download(cli, hostile):
    _, (big,) = hostile.add_image("1", [_layer(1000)], declared={0: TIB})
    hostile.behave[big] = ("zeros",)
    t0 = time.monotonic()
    r = cli("pull", hostile.addr + "/x:1")
    assert r.returncode != 0
    assert time.monotonic() - t0 < 10
    want = "pull %s/x:1: layer %s declares 1.0 TiB, the store at %s has " % (hostile.addr, big, cli.root)
    assert want in r.stderr and " free" in r.stderr, r.stderr
    # nothing was fetched: no blob request at all, not even the config
    assert not [p for m, p in hostile.requests if "/blobs/" in p], hostile.requests
    assert hostile.served == {}
    assert _temps(cli.root) == []
    r = cli("images", "-q")
    assert r.returncode == 0 and r.stdout == "", r.stdout


def test_a_blob_streaming_more_than_it_declares_is_stopped(cli, hostile):
    layer = _layer(300 << 10)
    _, (dg,) = hostile.add_image("1", [layer])
    hostile.behave[dg] = ("extra", 64 << 20)
    r = cli("pull", hostile.addr + "/x:1")
    assert r.returncode != 0
    assert "blob %s: more than the %d bytes its descriptor says" % (dg, len(layer)) in r.stderr, r.stderr
    # it stopped soon after the declared size, not after the 64 MiB more
    assert hostile.served[dg] < len(layer) + (8 << 20), hostile.served
    assert _temps(cli.root) == []
    # the honest blob pulls fine afterwards
    hostile.behave.clear()
    r = cli("pull", hostile.addr + "/x:1")
    assert r.returncode == 0, r.stderr


def test_an_endless_manifest_is_cut_off(cli, hostile):
    hostile.endless_manifest = True
    t0 = time.monotonic()
    r = cli("pull", hostile.addr + "/x:1")
    assert r.returncode != 0
    assert time.monotonic() - t0 < 20
    assert "response larger than 16777216 bytes" in r.stderr and "/manifests/1" in r.stderr, r.stderr
    assert hostile.served["manifest"] < (24 << 20)  # 16 MiB read, the rest in socket buffers
    assert _temps(cli.root) == []


def test_max_blob_and_image_size_from_the_environment(cli, hostile, monkeypatch):
    la, lb = _layer(40 << 10, "a"), _layer(40 << 10, "b")
    _, (a, b) = hostile.add_image("1", [la, lb])
    monkeypatch.setenv("BERTH_MAX_BLOB_SIZE", "32k")
    r = cli("pull", hostile.addr + "/x:1")
    assert r.returncode != 0
    assert "layer %s declares %.1f KiB," % (a, len(la) / 1024) in r.stderr, r.stderr
    assert "more than the maximum blob size 32.0 KiB (BERTH_MAX_BLOB_SIZE)" in r.stderr, r.stderr
    assert not [p for m, p in hostile.requests if "/blobs/" in p]
    monkeypatch.setenv("BERTH_MAX_BLOB_SIZE", "64KiB")
    monkeypatch.setenv("BERTH_MAX_IMAGE_SIZE", "64k")
    r = cli("pull", hostile.addr + "/x:1")
    assert r.returncode != 0
    assert "the image declares" in r.stderr and "more than the maximum image size 64.0 KiB (BERTH_MAX_IMAGE_SIZE)" \
        in r.stderr, r.stderr
    assert _temps(cli.root) == []
    monkeypatch.setenv("BERTH_MAX_IMAGE_SIZE", "1m")
    r = cli("pull", hostile.addr + "/x:1")
    assert r.returncode == 0, r.stderr
    monkeypatch.setenv("BERTH_MAX_BLOB_SIZE", "lots")
    r = cli("images")
    assert r.returncode != 0 and "BERTH_MAX_BLOB_SIZE='lots': not a size" in r.stderr, r.stderr


def test_max_blob_size_context_option(roots, hostile, monkeypatch):
    root, run_root = roots
    _, (a,) = hostile.add_image("1", [_layer(40 << 10)])
    monkeypatch.setenv("BERTH_MAX_BLOB_SIZE", "1k")  # the option wins over the environment
    with berth.Context(root=root, run_root=run_root, max_blob_size=32 << 10) as ctx:
        assert ctx.max_blob_size == 32 << 10 and ctx.max_image_size is None
        with pytest.raises(berth.BerthError) as e:
            ctx.pull(hostile.addr + "/x:1")
        assert "layer %s declares" % a in str(e.value) and "maximum blob size 32.0 KiB" in str(e.value)
    with berth.Context(root=root, run_root=run_root, max_blob_size=berth.SIZE_UNLIMITED) as ctx:
        assert ctx.max_blob_size is None
        ctx.pull(hostile.addr + "/x:1").close()
    assert _temps(root) == []


def _start_slow_pull(cli, hostile, layer):
    _, (dg,) = hostile.add_image("1", [layer])
    hostile.behave[dg] = ("slow", 64 << 10, 0.05)
    p = subprocess.Popen([CLI, "--root", cli.root, "--run-root", cli.run_root, "pull", hostile.addr + "/x:1"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while hostile.served.get(dg, 0) < (256 << 10) or len(_temps(cli.root)) < 2:
        assert p.poll() is None, p.stderr.read()
        assert time.monotonic() < deadline, "the pull did not start downloading"
        time.sleep(0.02)
    return p, dg


def test_a_live_pull_keeps_its_temp_files(cli, hostile):
    """Another berth command sweeps only temp files whose owner is gone."""
    p, _ = _start_slow_pull(cli, hostile, _layer(2 << 20))
    before = _temps(cli.root)
    assert any("/images/.tmp/blob-" in t for t in before) and any("/layers/.tmp-" in t for t in before), before
    r = cli("images")
    assert r.returncode == 0, r.stderr
    assert set(before) <= set(_temps(cli.root))
    _, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert _temps(cli.root) == []


def test_a_killed_pull_leaves_no_temp_files_after_the_next_command(cli, hostile):
    p, _ = _start_slow_pull(cli, hostile, _layer(4 << 20))
    p.kill()
    p.wait()
    p.stderr.close()
    left = _temps(cli.root)
    assert left, "the killed pull left nothing: the test proves nothing"
    r = cli("images")
    assert r.returncode == 0, r.stderr
    assert _temps(cli.root) == []
    # and the store still works: the same pull, at full speed now
    hostile.behave.clear()
    r = cli("pull", hostile.addr + "/x:1")
    assert r.returncode == 0, r.stderr
    assert _temps(cli.root) == []
    # a killed pull, then at once another pull: it sweeps too
    hostile.add_image("2", [_layer(2 << 20)])
    p, dg = _start_slow_pull(cli, hostile, _layer(3 << 20))
    p.kill()
    p.wait()
    p.stderr.close()
    hostile.behave.clear()
    r = cli("pull", hostile.addr + "/x:2")
    assert r.returncode == 0, r.stderr
    assert _temps(cli.root) == []
