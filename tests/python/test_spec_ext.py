"""berth's own settings of a spec and a container, typed (lib/spec/ext.c):
no io.berth.* annotation is accepted from a caller, the settings are read
back through getters, and containers of berth 0.1 (state and config with
io.berth.* annotations, no schema version) still load."""
import json
import os
import signal
import subprocess
import time

import pytest

import berth


@pytest.fixture
def ctx(roots):
    with berth.Context(root=roots[0], run_root=roots[1]) as c:
        yield c


@pytest.mark.parametrize("key", ["io.berth.ports", "io.berth.overlay", "io.berth.image", "io.berth.x"])
def test_reserved_annotations_refused(key):
    s = berth.Spec()
    before = s.to_json()
    with pytest.raises(berth.InvalidArgument, match=r"annotation %s is reserved" % key.replace(".", r"\.")):
        s.set_annotation(key, "[]")
    assert s.to_json() == before
    doc = json.loads(before)
    doc["annotations"] = {key: "1"}
    with pytest.raises(berth.InvalidArgument, match=key.replace(".", r"\.")):
        berth.Spec.from_dict(doc)
    s.set_annotation("org.example.owner", "me")  # a caller's own is fine


def test_spec_getters_and_document():
    s = berth.Spec()
    assert (s.network, s.ports, s.image) == ("none", [], None)
    s.set_network("bridge")
    s.add_port("127.0.0.1:8080:80")
    s.add_port("53/udp")
    s.set_dns(["192.0.2.53"])
    s.set_cgroup_parent("ci")
    assert s.network == "bridge"
    assert [str(p) for p in s.ports] == ["127.0.0.1:8080->80/tcp", "0.0.0.0:0->53/udp"]
    doc = json.loads(s.to_json())
    assert "annotations" not in doc
    assert doc["berth"] == {"version": 1, "network": "bridge", "dns": ["192.0.2.53"], "cgroupParent": "ci",
                            "ports": [{"hostIp": "127.0.0.1", "hostPort": 8080, "containerPort": 80,
                                       "protocol": "tcp"},
                                      {"hostIp": "", "hostPort": 0, "containerPort": 53, "protocol": "udp"}]}
    again = berth.Spec.from_json(s.to_json())
    assert again.to_json() == s.to_json() and again.network == "bridge"
    doc["berth"]["version"] = 2
    with pytest.raises(berth.InvalidArgument, match="berth.version 2: newer"):
        berth.Spec.from_dict(doc)


def test_container_getters(ctx, rootfs, tmp_path):
    with ctx.create(["true"], rootfs=rootfs) as c:
        assert (c.network, c.image) == ("none", None)
        c.delete(force=True)
    tarball = tmp_path / "bb.tar"
    subprocess.run(["tar", "-C", rootfs, "--numeric-owner", "-cf", str(tarball), "."], check=True)
    img = ctx.import_image(str(tarball), "busybox:ext")
    try:
        with ctx.create(["true"], image=img, network="host") as c:
            assert (c.network, c.image) == ("host", img.id)
            info = c.inspect()
            assert info["berthStateVersion"] == 2
            assert info["config"]["berth"]["image"] == img.id
            assert "annotations" not in info["config"]
            assert c.spec().image == img.id and c.spec().network == "host"
            c.delete(force=True)
    finally:
        img.close()
        ctx.remove_image("busybox:ext")


def _legacy(path, old_annotations):
    """Rewrites a state.json or config.json the way berth 0.1 wrote it."""
    with open(path) as f:
        doc = json.load(f)
    doc.pop("berth", None)
    doc.pop("berthStateVersion", None)
    doc.setdefault("annotations", {}).update(old_annotations)
    with open(path, "w") as f:
        json.dump(doc, f)


def test_legacy_container_loads(ctx, rootfs, roots):
    root, run_root = roots
    old = {"io.berth.network": "host", "io.berth.stop-signal": str(int(signal.SIGUSR1)),
           "io.berth.image": "sha256:" + "ab" * 32, "org.example.owner": "me"}
    script = "trap 'exit 7' USR1; echo ready; while :; do sleep 0.05; done"
    r, w = os.pipe()
    try:
        c = ctx.create(["sh", "-c", script], rootfs=rootfs, network="host", stdout=w, start=True)
    finally:
        os.close(w)
    try:
        with os.fdopen(r, "rb") as out:
            assert out.readline() == b"ready\n"
        _legacy(os.path.join(run_root, "containers", c.id, "state.json"), old)
        _legacy(os.path.join(root, "containers", c.id, "config.json"), old)
        with ctx.container(c.id) as o:
            assert (o.network, o.image) == ("host", old["io.berth.image"])
            info = o.inspect()
            assert info["berth"]["stopSignal"] == signal.SIGUSR1
            assert info["annotations"] == {"org.example.owner": "me"}
            assert info["config"]["berth"]["network"] == "host"
            spec = o.spec()  # the stored config parses: the annotations became settings
            assert spec.network == "host" and spec.image == old["io.berth.image"]
            assert json.loads(spec.to_json())["annotations"] == {"org.example.owner": "me"}
        # stop sends the stop signal of the old state: the trap's exit code
        c.stop(timeout=10)
        assert c.exit_code == 7
        c.delete(force=True)
    finally:
        c.delete(force=True) if c.status != "stopped" else None
        c.close()
