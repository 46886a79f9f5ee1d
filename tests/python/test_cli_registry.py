"""Registries and archives through the CLI, against real servers:
push (read back with skopeo), save/load (round trips and skopeo interop,
hostile archives), login/logout with htpasswd basic auth and a bearer-token
flow, a fault-injecting proxy (5xx, 429, redirects, corrupted blobs,
connection resets), multi-platform indexes, gzip and zstd layers, whiteouts
and opaque directories, ExposedPorts/Volumes in inspect."""
import base64
import hashlib
import json
import os
import stat
import subprocess
import tarfile
import time

import pytest

from conftest import CLI
import regtools
from regtools import FaultProxy, Layout, Registry, TokenServer, skopeo_copy, tar_bytes


@pytest.fixture(autouse=True)
def docker_config(tmp_path, monkeypatch):
    """No test reads or writes the machine's ~/.docker."""
    d = tmp_path / "docker-config"
    monkeypatch.setenv("DOCKER_CONFIG", str(d))
    return d


@pytest.fixture(scope="module")
def bb_tar(tmp_path_factory):
    """The busybox rootfs as an uncompressed layer tar."""
    from conftest import _make_rootfs
    d = tmp_path_factory.mktemp("bbroot")
    _make_rootfs(str(d / "rootfs"))
    out = d / "bb.tar"
    subprocess.run(["tar", "-C", str(d / "rootfs"), "--numeric-owner", "-cf", str(out), "."], check=True)
    return out.read_bytes()


@pytest.fixture
def layout(tmp_path, bb_tar):
    """An OCI layout with busybox tagged "bb" and busybox + one file tagged "bb2"."""
    lay = Layout(str(tmp_path / "layout"))
    lay.tag(lay.image([bb_tar], config={"Env": ["PATH=/bin"], "Cmd": ["sh"]}), "bb")
    lay.tag(lay.image([bb_tar, tar_bytes([("extra", b"second layer\n")])]), "bb2")
    return lay


@pytest.fixture
def registry_obj(tmp_path):
    r = Registry(tmp_path)
    yield r
    r.stop()


def berth(cli, *args, input=None, timeout=120):
    return cli(*args, input=input, timeout=timeout)


def store_leftovers(root):
    """What a failed operation must not leave: temp files, layer dirs, index entries."""
    left = []
    tmp = os.path.join(root, "images", ".tmp")
    if os.path.isdir(tmp) and os.listdir(tmp):
        left.append("images/.tmp: %s" % os.listdir(tmp))
    layers = os.path.join(root, "layers")
    if os.path.isdir(layers) and os.listdir(layers):
        left.append("layers: %s" % os.listdir(layers))
    idx = os.path.join(root, "images", "index.json")
    if os.path.exists(idx) and json.load(open(idx))["manifests"]:
        left.append("index.json entries")
    blobs = os.path.join(root, "images", "blobs", "sha256")
    if os.path.isdir(blobs) and os.listdir(blobs):
        left.append("blobs: %d" % len(os.listdir(blobs)))
    return left


# --- push ---

def test_push_read_back_with_skopeo(cli, registry_obj, layout, tmp_path):
    reg = registry_obj.addr
    src = "oci:%s:bb" % layout.d
    skopeo_copy(src, "oci:%s/images:docker.io/library/bb:1" % cli.root, "--dest-oci-accept-uncompressed-layers")
    r = berth(cli, "push", "bb:1", "%s/a/bb:1" % reg)
    assert r.returncode == 0, r.stderr
    digest = r.stdout.split("digest: ")[1].strip()
    assert "Pushed" in r.stderr
    # skopeo reads it back: the same manifest bytes, the same blobs
    raw = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://%s/a/bb:1" % reg],
                         capture_output=True, check=True).stdout
    assert "sha256:" + hashlib.sha256(raw).hexdigest() == digest
    out = tmp_path / "back"
    skopeo_copy("docker://%s/a/bb:1" % reg, "oci:%s:x" % out, "--preserve-digests",
                "--dest-oci-accept-uncompressed-layers")
    m = json.loads(raw)
    for d in m["layers"] + [m["config"]]:
        mine = open(os.path.join(cli.root, "images", "blobs", "sha256", d["digest"][7:]), "rb").read()
        theirs = open(out / "blobs" / "sha256" / d["digest"][7:], "rb").read()
        assert mine == theirs
    # again: the registry has every blob
    r = berth(cli, "push", "bb:1", "%s/a/bb:1" % reg)
    assert r.returncode == 0 and r.stderr.count("Layer already exists") == 2, r.stderr
    # to another repository of the registry: mounted, not uploaded
    assert berth(cli, "tag", "bb:1", "%s/a/bb:1" % reg).returncode == 0
    r = berth(cli, "push", "%s/a/bb:1" % reg, "%s/b/copy:2" % reg)
    assert r.returncode == 0 and r.stderr.count("Mounted from another repository") == 2, r.stderr
    info = json.loads(subprocess.run(["skopeo", "inspect", "--tls-verify=false", "docker://%s/b/copy:2" % reg],
                                     capture_output=True, check=True).stdout)
    assert info["Digest"] == digest
    # and berth pulls it back and runs it
    fresh = tmp_path / "fresh"
    r = subprocess.run([CLI, "--root", str(fresh / "r"), "--run-root", str(fresh / "rr"), "run", "--rm",
                        "%s/b/copy:2" % reg, "sh", "-c", "echo from-the-registry"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "from-the-registry", r.stderr


def test_push_chunked(cli, registry_obj, layout, tmp_path):
    proxy = FaultProxy(registry_obj.addr)
    try:
        skopeo_copy("oci:%s:bb2" % layout.d, "oci:%s/images:docker.io/library/bb:2" % cli.root,
                    "--dest-oci-accept-uncompressed-layers")
        r = berth(cli, "push", "--chunk-size", "100000", "bb:2", "%s/c/bb:2" % proxy.addr)
        assert r.returncode == 0, r.stderr
        patches = [p for (m, p, s) in proxy.log if m == "PATCH"]
        m = json.loads(open(os.path.join(cli.root, "images", "blobs", "sha256",
                                         r.stdout.split("sha256:")[1].strip()), "rb").read())
        sizes = [d["size"] for d in m["layers"] + [m["config"]]]
        assert len(patches) == sum((s + 99999) // 100000 for s in sizes)
        puts = [p for (m_, p, s) in proxy.log if m_ == "PUT" and "/blobs/uploads/" in p]
        assert len(puts) == 3 and all("digest=sha256" in p for p in puts)
        out = tmp_path / "back"
        skopeo_copy("docker://%s/c/bb:2" % registry_obj.addr, "oci:%s:x" % out, "--preserve-digests",
                    "--dest-oci-accept-uncompressed-layers")
        for d in m["layers"]:
            assert (out / "blobs" / "sha256" / d["digest"][7:]).read_bytes() == \
                open(os.path.join(cli.root, "images", "blobs", "sha256", d["digest"][7:]), "rb").read()
    finally:
        proxy.stop()


def test_push_errors(cli, registry_obj, layout):
    r = berth(cli, "push", "nosuch:1", "%s/x/y:1" % registry_obj.addr)
    assert r.returncode == 125 and "nosuch:1" in r.stderr and "not found" in r.stderr
    skopeo_copy("oci:%s:bb" % layout.d, "oci:%s/images:docker.io/library/bb:1" % cli.root,
                "--dest-oci-accept-uncompressed-layers")
    r = berth(cli, "push", "bb:1", "127.0.0.1:1/x/y:1")
    assert r.returncode == 125 and "127.0.0.1:1" in r.stderr
    r = berth(cli, "push", "bb:1")  # docker.io/library/bb:1 would leave the machine: not tested here
    r = berth(cli, "push", "--chunk-size", "0", "bb:1", "%s/x/y:1" % registry_obj.addr)
    assert r.returncode == 125 and "--chunk-size" in r.stderr


# --- save / load ---

def test_save_load_docker_format(cli, layout, tmp_path):
    skopeo_copy("oci:%s:bb2" % layout.d, "oci:%s/images:docker.io/library/bb:2" % cli.root,
                "--dest-oci-accept-uncompressed-layers")
    img = json.loads(berth(cli, "image", "inspect", "bb:2").stdout)[0]
    arch = tmp_path / "bb.tar"
    r = berth(cli, "save", "-o", str(arch), "bb:2")
    assert r.returncode == 0, r.stderr
    with tarfile.open(arch) as t:
        names = set(t.getnames())
        manifest = json.load(t.extractfile("manifest.json"))
        repos = json.load(t.extractfile("repositories"))
        cfg = t.extractfile(manifest[0]["Config"]).read()
        layer_tars = [t.extractfile(n).read() for n in manifest[0]["Layers"]]
    assert manifest[0]["RepoTags"] == ["bb:2"]
    assert manifest[0]["Config"] == img["Id"][7:] + ".json"
    assert "sha256:" + hashlib.sha256(cfg).hexdigest() == img["Id"]
    assert ["sha256:" + hashlib.sha256(l).hexdigest() for l in layer_tars] == img["RootFS"]["Layers"]
    assert repos == {"bb": {"2": manifest[0]["Layers"][-1].split("/")[0]}}
    assert all(n.split("/")[0] + "/VERSION" in names for n in manifest[0]["Layers"])
    # skopeo reads it: same config, same layers
    out = tmp_path / "sk"
    skopeo_copy("docker-archive:%s" % arch, "dir:%s" % out)
    m = json.load(open(out / "manifest.json"))
    assert m["config"]["digest"] == img["Id"]
    assert (out / img["Id"][7:]).read_bytes() == cfg
    assert [l["digest"] for l in m["layers"]] == img["RootFS"]["Layers"]
    assert [(out / l["digest"][7:]).read_bytes() for l in m["layers"]] == layer_tars
    # round trip into a fresh store, from a file and from stdin
    for how in ("file", "stdin"):
        root = tmp_path / ("load-" + how)
        cmd = [CLI, "--root", str(root / "r"), "--run-root", str(root / "rr"), "load"]
        if how == "file":
            r = subprocess.run(cmd + ["-i", str(arch)], capture_output=True, text=True)
        else:
            r = subprocess.run(cmd, stdin=open(arch, "rb"), capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "Loaded image: bb:2"
        r = subprocess.run([CLI, "--root", str(root / "r"), "--run-root", str(root / "rr"), "run", "--rm", "bb:2",
                            "cat", "/extra"], capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout == "second layer\n", r.stderr
        r = subprocess.run([CLI, "--root", str(root / "r"), "image", "inspect", "bb:2"], capture_output=True,
                           text=True)
        assert json.loads(r.stdout)[0]["Id"] == img["Id"]


def test_save_load_oci_archive(cli, layout, tmp_path):
    skopeo_copy("oci:%s:bb" % layout.d, "oci:%s/images:docker.io/library/bb:1" % cli.root,
                "--dest-oci-accept-uncompressed-layers")
    assert berth(cli, "tag", "bb:1", "example.com/team/bb:7").returncode == 0
    img = json.loads(berth(cli, "image", "inspect", "bb:1").stdout)[0]
    arch = tmp_path / "bb-oci.tar"
    r = berth(cli, "save", "--format", "oci-archive", "-o", str(arch), img["Id"])
    assert r.returncode == 0, r.stderr
    # skopeo reads it, by the reference it carries
    info = json.loads(subprocess.run(["skopeo", "inspect", "oci-archive:%s:example.com/team/bb:7" % arch],
                                     capture_output=True, check=True).stdout)
    assert info["Digest"] == img["Manifest"]
    out = tmp_path / "sk"
    skopeo_copy("oci-archive:%s:docker.io/library/bb:1" % arch, "oci:%s:x" % out, "--preserve-digests",
                "--dest-oci-accept-uncompressed-layers")
    for l in img["RootFS"]["Layers"]:
        assert (out / "blobs" / "sha256" / l[7:]).exists()
    # loaded back: both references
    root = tmp_path / "load"
    r = subprocess.run([CLI, "--root", str(root / "r"), "load", "-i", str(arch)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.splitlines()) == ["Loaded image: bb:1", "Loaded image: example.com/team/bb:7"]
    r = subprocess.run([CLI, "--root", str(root / "r"), "image", "inspect", "example.com/team/bb:7"],
                       capture_output=True, text=True)
    assert json.loads(r.stdout)[0]["Id"] == img["Id"]


def test_load_skopeo_docker_archive(cli, layout, tmp_path):
    arch = tmp_path / "sk.tar"
    skopeo_copy("oci:%s:bb2" % layout.d, "docker-archive:%s:sk/bb:3" % arch)
    r = berth(cli, "load", "-i", str(arch))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "Loaded image: sk/bb:3"
    r = berth(cli, "run", "--rm", "sk/bb:3", "cat", "/extra")
    assert r.returncode == 0 and r.stdout == "second layer\n", r.stderr
    # and a gzip-compressed archive
    gz = tmp_path / "sk.tar.gz"
    subprocess.run("gzip -c %s > %s" % (arch, gz), shell=True, check=True)
    assert berth(cli, "rmi", "sk/bb:3").returncode == 0
    r = berth(cli, "load", "-q", "-i", str(gz))
    assert r.returncode == 0 and r.stdout.startswith("sha256:"), r.stderr


def test_load_docker25_format(cli, layout, tmp_path):
    """Docker 25+ writes an OCI layout plus manifest.json naming blobs/sha256/... paths."""
    idx = json.load(open(os.path.join(layout.d, "index.json")))
    desc = [d for d in idx["manifests"] if d["annotations"]["org.opencontainers.image.ref.name"] == "bb2"][0]
    blob = lambda dg: os.path.join(layout.d, "blobs", "sha256", dg[7:])
    m = json.load(open(blob(desc["digest"])))
    mj = [{"Config": "blobs/sha256/" + m["config"]["digest"][7:], "RepoTags": ["d25/bb:1"],
           "Layers": ["blobs/sha256/" + l["digest"][7:] for l in m["layers"]]}]
    with open(os.path.join(layout.d, "manifest.json"), "w") as f:
        json.dump(mj, f)
    arch = tmp_path / "d25.tar"
    subprocess.run(["tar", "-C", layout.d, "-cf", str(arch), "."], check=True)
    r = berth(cli, "load", "-i", str(arch))
    assert r.returncode == 0 and r.stdout.strip() == "Loaded image: d25/bb:1", r.stderr
    info = json.loads(berth(cli, "image", "inspect", "d25/bb:1").stdout)[0]
    assert info["Id"] == m["config"]["digest"]
    r = berth(cli, "run", "--rm", "d25/bb:1", "cat", "/extra")
    assert r.stdout == "second layer\n", r.stderr


def _archive(path, members):
    """members: (name, bytes | ("symlink", target))."""
    import io
    with tarfile.open(path, "w") as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            if isinstance(data, tuple):
                info.type, info.linkname = tarfile.SYMTYPE, data[1]
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("case", ["dotdot-layer", "absolute-config", "escaping-member", "symlink-config",
                                  "diffid-mismatch", "config-digest-mismatch", "oci-blob-mismatch", "not-an-archive",
                                  "no-manifest"])
def test_load_hostile(cli, tmp_path, case):
    layer = tar_bytes([("f", b"x")])
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": [regtools.sha(layer)]}}).encode()
    chex = hashlib.sha256(cfg).hexdigest()
    good = [("%s.json" % chex, cfg), ("l/layer.tar", layer)]
    man = lambda c, ls: ("manifest.json", json.dumps([{"Config": c, "RepoTags": ["evil:1"], "Layers": ls}]).encode())
    a = tmp_path / "a.tar"
    want = None
    if case == "dotdot-layer":
        _archive(a, good + [man("%s.json" % chex, ["../../../../etc/hostname"])])
        want = "'..' points outside"
    elif case == "absolute-config":
        _archive(a, good + [man("/etc/hostname", ["l/layer.tar"])])
        want = "absolute path"
    elif case == "escaping-member":
        _archive(a, [("../evil", b"x")] + good + [man("%s.json" % chex, ["l/layer.tar"])])
        want = "../evil"
    elif case == "symlink-config":
        _archive(a, [("c.json", ("symlink", "/etc/hostname"))] + good + [man("c.json", ["l/layer.tar"])])
        want = "missing in the archive"
    elif case == "diffid-mismatch":
        _archive(a, [("%s.json" % chex, cfg), ("l/layer.tar", tar_bytes([("f", b"y")])),
                     man("%s.json" % chex, ["l/layer.tar"])])
        want = "diff_id"
    elif case == "config-digest-mismatch":
        _archive(a, [("%s.json" % ("0" * 64), cfg), ("l/layer.tar", layer), man("%s.json" % ("0" * 64),
                                                                                 ["l/layer.tar"])])
        want = "hashes to sha256:" + chex
    elif case == "oci-blob-mismatch":
        lay = Layout(str(tmp_path / "lay"))
        desc = lay.image([layer])
        lay.tag(desc, "docker.io/library/evil:1")
        m = json.load(open(tmp_path / "lay" / "blobs" / "sha256" / desc["digest"][7:]))
        p = tmp_path / "lay" / "blobs" / "sha256" / m["layers"][0]["digest"][7:]
        p.write_bytes(p.read_bytes()[:-1] + b"\x01")
        subprocess.run(["tar", "-C", str(tmp_path / "lay"), "-cf", str(a), "."], check=True)
        want = "does not match its digest"
    elif case == "not-an-archive":
        a.write_bytes(b"hello, not a tar\n" * 100)
        want = "not a tar archive"
    elif case == "no-manifest":
        _archive(a, good)
        want = "neither manifest.json"
    r = berth(cli, "load", "-i", str(a))
    assert r.returncode == 125, r.stdout
    assert want in r.stderr, r.stderr
    assert r.stderr.startswith("berth: load")
    assert store_leftovers(cli.root) == []
    assert not (tmp_path.parent / "evil").exists()


# --- auth ---

def test_login_htpasswd(cli, tmp_path, layout, docker_config):
    reg = Registry(tmp_path, auth=("htpasswd", "alice", "s3cret"))
    try:
        skopeo_copy("oci:%s:bb" % layout.d, "docker://%s/p/bb:1" % reg.addr, "--dest-creds", "alice:s3cret")
        ref = "%s/p/bb:1" % reg.addr
        r = berth(cli, "pull", ref)
        assert r.returncode == 125 and "requires credentials" in r.stderr and reg.addr in r.stderr, r.stderr
        r = berth(cli, "login", "-u", "alice", "--password-stdin", reg.addr, input="wrong\n")
        assert r.returncode == 125 and "unauthorized (401)" in r.stderr and reg.addr in r.stderr, r.stderr
        assert not (docker_config / "config.json").exists()
        r = berth(cli, "login", "-u", "alice", "--password-stdin", reg.addr, input="s3cret\n")
        assert r.returncode == 0 and "Login Succeeded" in r.stdout, r.stderr
        cfgp = docker_config / "config.json"
        assert stat.S_IMODE(os.stat(cfgp).st_mode) == 0o600
        auths = json.load(open(cfgp))["auths"]
        assert base64.b64decode(auths[reg.addr]["auth"]) == b"alice:s3cret"
        r = berth(cli, "pull", "-q", ref)
        assert r.returncode == 0, r.stderr
        r = berth(cli, "push", ref, "%s/p/again:2" % reg.addr)
        assert r.returncode == 0, r.stderr
        # other keys of the file are kept; logout removes only the entry
        data = json.load(open(cfgp))
        data["credsStore"] = "keep-me"
        json.dump(data, open(cfgp, "w"))
        assert berth(cli, "logout", reg.addr).returncode == 0
        data = json.load(open(cfgp))
        assert data["credsStore"] == "keep-me" and reg.addr not in data["auths"]
        r = berth(cli, "logout", reg.addr)
        assert r.returncode == 125 and "not logged in" in r.stderr
        assert berth(cli, "rmi", ref).returncode == 0
        assert berth(cli, "pull", ref).returncode == 125
    finally:
        reg.stop()


def test_bearer_token_flow(cli, tmp_path, layout, docker_config):
    ts = TokenServer(tmp_path, {"alice": "s3cret", "reader": "r"}, readonly=["reader"])
    reg = Registry(tmp_path, auth=("token", ts))
    try:
        skopeo_copy("oci:%s:bb2" % layout.d, "docker://%s/t/bb:1" % reg.addr, "--dest-creds", "alice:s3cret")
        ref = "%s/t/bb:1" % reg.addr
        r = berth(cli, "pull", ref)
        assert r.returncode == 125 and "token from %s" % ts.realm in r.stderr and "unauthorized" in r.stderr, \
            r.stderr
        r = berth(cli, "login", "-u", "alice", "-p", "nope", reg.addr)
        assert r.returncode == 125 and "token from" in r.stderr and reg.addr in r.stderr, r.stderr
        r = berth(cli, "login", "-u", "alice", "--password-stdin", reg.addr, input="s3cret")
        assert r.returncode == 0, r.stderr
        del ts.requests[:]
        r = berth(cli, "pull", ref)
        assert r.returncode == 0, r.stderr
        # one token for the repository's pull scope, reused for manifest, config and both layers
        assert ts.requests == [("alice", ["repository:t/bb:pull"])], ts.requests
        r = berth(cli, "run", "--rm", ref, "cat", "/extra")
        assert r.stdout == "second layer\n", r.stderr
        # push to another repository: pull,push on it, plus pull on the source for the mount
        del ts.requests[:]
        r = berth(cli, "push", ref, "%s/t/other:2" % reg.addr)
        assert r.returncode == 0, r.stderr
        assert "Mounted from another repository" in r.stderr, r.stderr
        scopes = [s for (_, ss) in ts.requests for s in ss]
        assert "repository:t/other:pull,push" in scopes and "repository:t/bb:pull" in scopes, ts.requests
        info = json.loads(subprocess.run(["skopeo", "inspect", "--tls-verify=false", "--creds", "alice:s3cret",
                                          "docker://%s/t/other:2" % reg.addr], capture_output=True,
                                         check=True).stdout)
        assert info["Digest"] == json.loads(berth(cli, "image", "inspect", ref).stdout)[0]["Manifest"]
        # a user the token server grants only pull: push refused, naming the registry
        r = berth(cli, "login", "-u", "reader", "-p", "r", reg.addr)
        assert r.returncode == 0, r.stderr
        r = berth(cli, "push", ref, "%s/t/third:1" % reg.addr)
        assert r.returncode == 125 and "unauthorized (401) by registry %s" % reg.addr in r.stderr, r.stderr
        # credentials passed in through the API (no config file)
        os.unlink(docker_config / "config.json")
        import berth as pyberth
        with pyberth.Context(root=str(tmp_path / "api-root"), run_root=str(tmp_path / "api-run")) as c:
            with pytest.raises(pyberth.AuthError) as ei:
                c.pull(ref, username="alice", password="wrong")
            assert "token from %s" % ts.realm in str(ei.value)
            img = c.pull(ref, username="alice", password="s3cret")
            assert img.tags == [ref]
            img.close()
    finally:
        reg.stop()
        ts.stop()


# --- a registry that misbehaves ---

@pytest.fixture
def proxied(cli, registry_obj, layout):
    """bb2 (two layers) in the registry, reached through a fault proxy."""
    skopeo_copy("oci:%s:bb2" % layout.d, "docker://%s/f/bb:1" % registry_obj.addr)
    proxy = FaultProxy(registry_obj.addr)
    yield proxy, "%s/f/bb:1" % proxy.addr
    proxy.stop()


def test_retries_5xx_then_success(cli, proxied):
    proxy, ref = proxied
    proxy.add("GET", "/manifests/", "status", times=2, status=503)
    proxy.add("GET", "/blobs/sha256:", "status", times=1, status=502)
    r = berth(cli, "pull", ref)
    assert r.returncode == 0, r.stderr
    assert [s for (_, _, s) in proxy.log].count(503) == 2 and 502 in [s for (_, _, s) in proxy.log]


def test_403_denied(cli, proxied):
    proxy, ref = proxied
    proxy.add("GET", "/manifests/", "status", times=1, status=403)
    r = berth(cli, "pull", ref)
    assert r.returncode == 125
    assert "denied (403) by registry %s: injected by the test" % proxy.addr in r.stderr, r.stderr
    assert store_leftovers(cli.root) == []


def test_5xx_gives_up(cli, proxied):
    proxy, ref = proxied
    proxy.add("GET", "/manifests/", "status", times=10, status=503)
    r = berth(cli, "pull", ref)
    assert r.returncode == 125
    assert "server error (503)" in r.stderr and "after 3 tries" in r.stderr and proxy.addr in r.stderr, r.stderr
    assert "injected by the test" in r.stderr
    assert store_leftovers(cli.root) == []


def test_429_retry_after(cli, proxied):
    proxy, ref = proxied
    proxy.add("GET", "/blobs/sha256:", "status", times=1, status=429, headers={"Retry-After": "1"})
    t = time.monotonic()
    r = berth(cli, "pull", ref)
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - t >= 1.0
    proxy.clear()
    assert berth(cli, "rmi", ref).returncode == 0 and berth(cli, "image", "prune").returncode == 0
    proxy.add("GET", "/manifests/", "status", times=5, status=429, headers={"Retry-After": "3600"})
    t = time.monotonic()
    r = berth(cli, "pull", ref)
    assert r.returncode == 125 and "too many requests (429)" in r.stderr and "3600" in r.stderr, r.stderr
    assert time.monotonic() - t < 10


def test_blob_redirect(cli, proxied, registry_obj):
    proxy, ref = proxied
    proxy.add("GET", "/blobs/sha256:", "redirect", times=10)
    r = berth(cli, "pull", ref)
    assert r.returncode == 0, r.stderr
    assert [s for (_, _, s) in proxy.log].count(302) == 3  # config and two layers, fetched from the registry itself
    r = berth(cli, "run", "--rm", ref, "cat", "/extra")
    assert r.stdout == "second layer\n"


def test_corrupted_blob(cli, proxied):
    proxy, ref = proxied
    proxy.add("GET", "/blobs/sha256:", "corrupt", times=100)
    r = berth(cli, "pull", ref)
    assert r.returncode == 125 and "digest mismatch" in r.stderr, r.stderr
    assert store_leftovers(cli.root) == []


def test_connection_reset_mid_blob(cli, proxied):
    proxy, ref = proxied
    # the biggest blob (the busybox layer) is cut half way once
    proxy.add("GET", "/blobs/sha256:", "reset", times=1)
    r = berth(cli, "pull", ref)
    assert r.returncode == 0, r.stderr
    assert "reset" in [s for (_, _, s) in proxy.log]
    r = berth(cli, "run", "--rm", ref, "cat", "/extra")
    assert r.stdout == "second layer\n"
    # cut every time: a clear error, nothing left
    proxy.clear()
    assert berth(cli, "rmi", ref).returncode == 0 and berth(cli, "image", "prune").returncode == 0
    proxy.add("GET", "/blobs/sha256:", "reset", times=100)
    r = berth(cli, "pull", ref)
    assert r.returncode == 125 and proxy.addr in r.stderr, r.stderr
    assert store_leftovers(cli.root) == []


def test_concurrent_pulls_download_each_blob_once(cli, proxied):
    proxy, ref = proxied
    # slow blobs: the two pulls overlap
    proxy.add("GET", "/blobs/sha256:", "delay", times=100, seconds=1)
    procs = [subprocess.Popen([CLI, "--root", cli.root, "--run-root", cli.run_root, "pull", "-q", ref],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    info = json.loads(berth(cli, "image", "inspect", ref).stdout)[0]
    m = json.load(open(os.path.join(cli.root, "images", "blobs", "sha256", info["Manifest"][7:])))
    gets = [path for (meth, path, _) in proxy.log if meth == "GET" and "/blobs/" in path]
    for l in m["layers"]:
        assert sum(path.endswith(l["digest"]) for path in gets) == 1, gets
    assert [n for n in os.listdir(os.path.join(cli.root, "layers")) if n.startswith(".")] == []
    r = berth(cli, "run", "--rm", ref, "cat", "/extra")
    assert r.stdout == "second layer\n", r.stderr


def test_parallel_layers_progress_one_call_at_a_time(cli, proxied, tmp_path):
    """Both layers download at once (worker threads); the progress callback
    is never entered twice at the same time, and reports each layer."""
    import threading
    import berth as pyberth
    proxy, ref = proxied
    proxy.add("GET", "/blobs/sha256:", "delay", times=100, seconds=0.5)
    inside = threading.Lock()
    overlaps, events, threads, stamps = [], [], set(), {}

    def progress(digest, status, done, total):
        if not inside.acquire(blocking=False):
            overlaps.append(status)
            return
        try:
            events.append((digest, status))
            stamps.setdefault((digest, status), time.monotonic())
            threads.add(threading.get_ident())
            time.sleep(0.001)
        finally:
            inside.release()

    with pyberth.Context(root=str(tmp_path / "r"), run_root=str(tmp_path / "rr")) as c:
        img = c.pull(ref, progress=progress)
        img.close()
    assert overlaps == []
    layers = {d for (d, st) in events if st == "done"}
    assert len(layers) == 2 and all(("%s" % d, "extracting") in events for d in layers)
    assert len(threads) >= 2  # called from the worker threads
    # the downloads overlap: each layer started before the other one finished
    a, b = sorted(layers)
    assert stamps[(a, "downloading")] < stamps[(b, "extracting")]
    assert stamps[(b, "downloading")] < stamps[(a, "extracting")]


def test_push_retries_5xx(cli, proxied, registry_obj):
    proxy, ref = proxied
    assert berth(cli, "pull", "-q", ref).returncode == 0
    proxy.add("PUT", "/blobs/uploads/", "status", times=1, status=500)
    proxy.add("PUT", "/manifests/", "status", times=1, status=503)
    r = berth(cli, "push", ref, "%s/f/pushed:1" % proxy.addr)
    assert r.returncode == 0, r.stderr
    subprocess.run(["skopeo", "inspect", "--tls-verify=false", "docker://%s/f/pushed:1" % registry_obj.addr],
                   check=True, capture_output=True)


# --- image formats ---

def test_multi_platform_index(cli, registry_obj, bb_tar, tmp_path):
    lay = Layout(str(tmp_path / "multi"))
    native = regtools.NATIVE_ARCH
    other = "arm64" if native != "arm64" else "amd64"
    mine = lay.image([bb_tar, tar_bytes([("arch", native.encode() + b"\n")])], arch=native)
    theirs = lay.image([bb_tar, tar_bytes([("arch", other.encode() + b"\n")])], arch=other)
    att = lay.image([tar_bytes([("attestation.json", b"{}")])], arch="unknown")
    idx = lay.index_of([
        (att, {"os": "unknown", "architecture": "unknown"},
         {"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": mine["digest"]}),
        (theirs, dict({"os": "linux", "architecture": other}, **({"variant": "v8"} if other == "arm64" else {})),
         None),
        (mine, {"os": "linux", "architecture": native}, None)])
    lay.tag(idx, "multi")
    skopeo_copy("oci:%s:multi" % lay.d, "docker://%s/m/multi:1" % registry_obj.addr, "--all")
    ref = "%s/m/multi:1" % registry_obj.addr
    r = berth(cli, "pull", "-q", ref)
    assert r.returncode == 0, r.stderr
    info = json.loads(berth(cli, "image", "inspect", ref).stdout)[0]
    assert info["Architecture"] == native
    r = berth(cli, "run", "--rm", ref, "cat", "/arch")
    assert r.stdout == native + "\n", r.stderr
    r = berth(cli, "pull", "-q", "--platform", "linux/" + other, ref)
    assert r.returncode == 0, r.stderr
    assert json.loads(berth(cli, "image", "inspect", ref).stdout)[0]["Architecture"] == other
    r = berth(cli, "pull", "--platform", "linux/s390x", ref)
    assert r.returncode == 125 and "no manifest for platform linux/s390x" in r.stderr


@pytest.mark.parametrize("fmt", ["gzip", "zstd"])
def test_compressed_layers(cli, registry_obj, layout, fmt):
    ref = "%s/z/bb:%s" % (registry_obj.addr, fmt)
    skopeo_copy("oci:%s:bb2" % layout.d, "docker://" + ref, "--dest-compress-format", fmt)
    raw = json.loads(subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + ref],
                                    capture_output=True, check=True).stdout)
    assert all(l["mediaType"].endswith("+" + fmt) for l in raw["layers"]), raw
    r = berth(cli, "pull", "-q", ref)
    assert r.returncode == 0, r.stderr
    r = berth(cli, "run", "--rm", ref, "cat", "/extra")
    assert r.returncode == 0 and r.stdout == "second layer\n", r.stderr
    # the stored blobs are the registry's, byte for byte
    for l in raw["layers"]:
        p = os.path.join(cli.root, "images", "blobs", "sha256", l["digest"][7:])
        assert os.path.getsize(p) == l["size"]


def test_whiteouts_and_opaque_dirs(cli, registry_obj, bb_tar, tmp_path):
    lay = Layout(str(tmp_path / "wh"))
    lower = tar_bytes([("etc/", None), ("etc/gone", b"lower\n"), ("etc/kept", b"kept\n"), ("dir/", None),
                       ("dir/old1", b"1"), ("dir/sub/", None), ("dir/sub/old2", b"2"), ("file2dir", b"was a file")])
    upper = tar_bytes([("etc/", None), ("etc/.wh.gone", b""), ("dir/", None), ("dir/.wh..wh..opq", b""),
                       ("dir/new", b"new\n"), ("file2dir/", None), ("file2dir/inside", b"now a dir\n")])
    lay.tag(lay.image([bb_tar, lower, upper]), "wh")
    ref = "%s/w/wh:1" % registry_obj.addr
    skopeo_copy("oci:%s:wh" % lay.d, "docker://" + ref)
    assert berth(cli, "pull", "-q", ref).returncode == 0
    r = berth(cli, "run", "--rm", ref, "sh", "-c",
              "ls /etc/gone 2>&1 || true; cat /etc/kept; ls -A /dir; cat /file2dir/inside")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "No such file" in lines[0]
    assert lines[1:] == ["kept", "new", "now a dir"]


def test_inspect_exposed_ports_and_volumes(cli, registry_obj, bb_tar, tmp_path):
    lay = Layout(str(tmp_path / "ports"))
    lay.tag(lay.image([bb_tar], config={"Env": ["PATH=/bin"], "Cmd": ["sh"],
                                        "ExposedPorts": {"27017/tcp": {}, "53/udp": {}},
                                        "Volumes": {"/data/db": {}}}), "p")
    ref = "%s/p/db:1" % registry_obj.addr
    skopeo_copy("oci:%s:p" % lay.d, "docker://" + ref)
    assert berth(cli, "pull", "-q", ref).returncode == 0
    info = json.loads(berth(cli, "image", "inspect", ref).stdout)[0]
    assert info["Config"]["ExposedPorts"] == {"27017/tcp": {}, "53/udp": {}}
    assert info["Config"]["Volumes"] == {"/data/db": {}}
    info = json.loads(berth(cli, "inspect", ref).stdout)[0]
    assert info["Config"]["ExposedPorts"] == {"27017/tcp": {}, "53/udp": {}}
    # a container of the image carries them (its config's berth object, not annotations)
    r = berth(cli, "create", "--name", "ports1", ref)
    assert r.returncode == 0, r.stderr
    info = json.loads(berth(cli, "inspect", "ports1").stdout)[0]
    assert info["config"]["berth"]["exposedPorts"] == ["27017/tcp", "53/udp"]
    assert not any(k.startswith("io.berth.") for k in info["config"].get("annotations", {}))
    assert berth(cli, "rm", "ports1").returncode == 0


@pytest.mark.parametrize("cmd", ["push", "save", "load", "login", "logout"])
def test_help(cli, cmd):
    r = cli(cmd, "--help")
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith("Usage:  berth " + cmd)
    assert cmd in cli("--help").stdout


def test_usage_errors(cli, tmp_path):
    r = cli("save", "-o", str(tmp_path / "x.tar"))
    assert r.returncode == 125 and "requires at least 1 image" in r.stderr
    r = cli("save", "--format", "zip", "-o", str(tmp_path / "x.tar"), "a")
    assert r.returncode == 125 and "unknown --format 'zip'" in r.stderr
    r = cli("save", "-o", str(tmp_path / "x.tar"), "nosuch:1")
    assert r.returncode == 125 and "nosuch:1" in r.stderr
    assert not os.listdir(tmp_path)  # no archive, no temp file
    r = cli("load", "-i", str(tmp_path / "missing.tar"))
    assert r.returncode == 125 and "missing.tar" in r.stderr
    r = cli("login", "--password-stdin", "127.0.0.1:1")
    assert r.returncode == 125 and "--password-stdin requires --username" in r.stderr
    r = cli("login", "-u", "a", "-p", "b", "--password-stdin", "127.0.0.1:1")
    assert r.returncode == 125 and "mutually exclusive" in r.stderr
    r = cli("login", "-u", "a", "-p", "b", "127.0.0.1:1")
    assert r.returncode == 125 and "127.0.0.1:1" in r.stderr
    r = cli("logout", "127.0.0.1:1")
    assert r.returncode == 125 and "not logged in" in r.stderr
