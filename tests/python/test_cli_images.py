"""The CLI with images: import, images, run IMAGE, inspect, tag, rmi, prune."""
import json
import os
import subprocess
import tarfile

import pytest

from conftest import CLI


@pytest.fixture
def tarball(rootfs, tmp_path):
    path = tmp_path / "busybox.tar"
    subprocess.run(["tar", "-C", rootfs, "--numeric-owner", "-cf", str(path), "."], check=True)
    return str(path)


def test_import_list_run_remove(cli, tarball):
    r = cli("import", tarball, "busybox:cli")
    assert r.returncode == 0, r.stderr
    image_id = r.stdout.strip()
    assert image_id.startswith("sha256:") and len(image_id) == 71

    r = cli("images", "--format", "json")
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(x["Repository"], x["Tag"]) for x in rows] == [("busybox", "cli")]
    assert rows[0]["ID"] == image_id[7:19]

    r = cli("run", "--rm", "busybox:cli", "sh", "-c", "echo $$; touch /new; id -un")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1", "root"]
    r = cli("run", "--rm", "-u", "nobody", "busybox:cli", "id", "-u")
    assert r.stdout.strip() == "65534"
    # the first container's write is not in the image
    r = cli("run", "--rm", "busybox:cli", "sh", "-c", "test -e /new && echo leaked || echo clean")
    assert r.stdout.strip() == "clean"
    # --entrypoint
    r = cli("run", "--rm", "--entrypoint", "/bin/echo", "busybox:cli", "a", "b")
    assert r.stdout.strip() == "a b"

    info = json.loads(cli("inspect", "busybox:cli").stdout)[0]
    assert info["Id"] == image_id and info["RepoTags"] == ["busybox:cli"]
    assert len(info["RootFS"]["Layers"]) == 1

    assert cli("tag", "busybox:cli", "example.com/team/bb:2").returncode == 0
    r = cli("images", "--format", "json")
    tags = sorted((json.loads(x)["Repository"], json.loads(x)["Tag"]) for x in r.stdout.splitlines())
    assert tags == [("busybox", "cli"), ("example.com/team/bb", "2")]

    # an image in use is not removed
    r = cli("run", "-d", "--name", "user1", "busybox:cli", "sleep", "30")
    assert r.returncode == 0, r.stderr
    r = cli("rmi", image_id)
    assert r.returncode == 125 and "user1" not in r.stdout
    assert "used by container" in r.stderr
    assert cli("rm", "-f", "user1").returncode == 0

    assert cli("rmi", "busybox:cli", "example.com/team/bb:2").returncode == 0
    assert cli("images", "-q").stdout.strip() == ""
    r = cli("image", "prune")
    assert r.returncode == 0 and "reclaimed" in r.stdout
    assert not os.listdir(os.path.join(cli.root, "layers")) or \
        all(n.startswith(".") for n in os.listdir(os.path.join(cli.root, "layers")))


def test_bad_input(cli, tmp_path):
    r = cli("run", "--rm", "nosuch:image")
    assert r.returncode == 125 and "nosuch:image" in r.stderr
    r = cli("import", "/nonexistent.tar", "x:y")
    assert r.returncode == 125 and "/nonexistent.tar" in r.stderr
    bad = tmp_path / "escape.tar"
    with tarfile.open(bad, "w") as t:
        info = tarfile.TarInfo("../evil")
        info.size = 0
        t.addfile(info)
    r = cli("import", str(bad), "evil:1")
    assert r.returncode == 125 and "../evil" in r.stderr
    assert not (tmp_path.parent / "evil").exists()
    r = cli("import", str(bad), "Bad:Ref")
    assert r.returncode == 125
    assert cli("images", "-a", "-q").stdout.strip() == ""


def test_pull_and_run(cli, tarball, registry, tmp_path):
    # an image made here and pushed to the local registry with skopeo
    scratch = tmp_path / "scratch"
    src_root = scratch / "root"
    r = subprocess.run([CLI, "--root", str(src_root), "--run-root", str(scratch / "run"),
                        "import", tarball, "busybox:src"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                    "oci:%s/images:docker.io/library/busybox:src" % src_root,
                    "docker://%s/cli/busybox:1" % registry], check=True)
    ref = "%s/cli/busybox:1" % registry
    r = cli("pull", ref)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ref
    assert "Pull complete" in r.stderr and "Digest: sha256:" in r.stderr
    r = cli("pull", "-q", ref)
    assert r.returncode == 0 and r.stderr == ""
    r = cli("run", "--rm", ref, "sh", "-c", "echo pulled-and-ran")
    assert r.stdout.strip() == "pulled-and-ran"
    r = cli("pull", "%s/cli/busybox:nope" % registry)
    assert r.returncode == 125 and "manifest unknown" in r.stderr
    # run pulls a missing image (--pull missing, the default) ...
    assert cli("rmi", ref).returncode == 0
    r = cli("run", "--rm", "--pull", "never", ref, "true")
    assert r.returncode == 125 and "--pull never" in r.stderr
    r = cli("run", "--rm", ref, "sh", "-c", "echo auto-pulled")
    assert r.returncode == 0 and r.stdout.strip() == "auto-pulled", r.stderr
    # ... and --pull always asks the registry even when it is there
    r = cli("run", "--rm", "--pull", "always", "%s/cli/busybox:nope" % registry, "true")
    assert r.returncode == 125 and "manifest unknown" in r.stderr
