"""Building images: `berth build` and ctx.build() against real state roots,
a base image pulled from the local registry fixture, and the demo image
(examples/demo/Dockerfile) built, run and fetched over HTTP."""
import json
import os
import shutil
import subprocess
import time
import urllib.request

import pytest

import berth
from conftest import CLI, _free_port

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "..", "..", "examples", "demo")


@pytest.fixture
def tarball(rootfs, tmp_path):
    path = tmp_path / "busybox.tar"
    subprocess.run(["tar", "-C", rootfs, "--numeric-owner", "-cf", str(path), "."], check=True)
    return str(path)


@pytest.fixture
def based(cli, tarball):
    """The test's roots with busybox:base imported."""
    r = cli("import", tarball, "busybox:base")
    assert r.returncode == 0, r.stderr
    return cli


def _context(tmp_path, dockerfile, files=None):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(dockerfile)
    for name, content in (files or {}).items():
        p = ctx / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content)
    return ctx


def _layer_tmp_dirs(root):
    d = os.path.join(root, "layers")
    return [n for n in os.listdir(d) if n.startswith(".tmp")] if os.path.isdir(d) else []


def test_cli_build_run_and_rebuild(based, tmp_path):
    ctx = _context(tmp_path, "FROM busybox:base\n"
                             "WORKDIR /app\n"
                             "COPY msg.txt .\n"
                             "RUN echo \"built: $(cat msg.txt)\" > out.txt && rm /etc/passwd- 2>/dev/null; true\n"
                             "EXPOSE 3000\n"
                             "CMD [\"cat\", \"/app/out.txt\"]\n", {"msg.txt": "hello\n"})
    r = based("build", "-t", "backend_live", "-t", "backend_live:v1", str(ctx))
    assert r.returncode == 0, r.stderr + r.stdout
    lines = r.stdout.splitlines()
    assert lines[0] == "STEP 1/6: FROM busybox:base"
    assert "STEP 4/6: RUN echo" in r.stdout
    assert "COMMIT backend_live" in lines and lines[-1].startswith("sha256:")
    image_id = lines[-1]
    r = based("run", "--rm", "backend_live")
    assert r.returncode == 0 and r.stdout == "built: hello\n", r.stderr
    r = based("image", "inspect", "backend_live:v1")
    info = json.loads(r.stdout)[0]
    assert info["Id"] == image_id
    assert info["Config"]["ExposedPorts"] == {"3000/tcp": {}}
    assert info["Config"]["WorkingDir"] == "/app"
    # a rebuild of the unchanged context runs nothing and gives the same image
    r = based("build", "-q", "-t", "backend_live", str(ctx))
    assert r.returncode == 0 and r.stdout.strip() == image_id, r.stderr
    r = based("build", "-t", "backend_live", str(ctx))
    assert r.stdout.count("--> Using cache") == 5
    # the built image is a valid OCI image in the layout: skopeo reads it
    r = subprocess.run(["skopeo", "inspect", "--config", "oci:%s/images:docker.io/library/backend_live:latest"
                        % based.root], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    cfg = json.loads(r.stdout)
    assert cfg["config"]["Cmd"] == ["cat", "/app/out.txt"]
    assert len(cfg["rootfs"]["diff_ids"]) == 4


def test_cli_build_errors(based, tmp_path):
    ctx = _context(tmp_path, "FROM busybox:base\nRUN true\n\nCOPY onlyone\n")
    r = based("build", "-t", "x", str(ctx))
    assert r.returncode == 125
    assert "Dockerfile:4: COPY requires at least two arguments" in r.stderr
    # a failing RUN: its exit code, its output, nothing left behind
    (ctx / "Dockerfile").write_text("FROM busybox:base\nRUN echo partial; exit 42\n")
    r = based("build", "-t", "x", str(ctx))
    assert r.returncode == 42, r.stderr
    assert "partial\n" in r.stdout
    assert "Dockerfile:2: RUN echo partial; exit 42: exit code 42" in r.stderr
    assert based("image", "inspect", "x").returncode != 0
    assert _layer_tmp_dirs(based.root) == []
    # a Dockerfile from stdin (no context)
    r = based("build", "-q", "-t", "fromstdin", "-", input="FROM busybox:base\nRUN echo s > /s\n")
    assert r.returncode == 0 and r.stdout.startswith("sha256:"), r.stderr
    r = based("build", "-")
    assert r.returncode == 125 and "no FROM instruction" in r.stderr
    r = based("build")
    assert r.returncode == 125 and "requires exactly 1 argument" in r.stderr


def test_python_build(roots, tarball, tmp_path):
    root, run_root = roots
    ctx = _context(tmp_path, "FROM busybox:py\nARG V=one\nRUN echo $V > /v\nCMD [\"cat\", \"/v\"]\n")
    with berth.Context(root=root, run_root=run_root) as c:
        c.import_image(tarball, "busybox:py").close()
        events = []
        img = c.build(str(ctx), tag=["py/app:1"], build_args={"V": "two"},
                      output=lambda kind, text: events.append(kind))
        assert img.build_steps_run == 1 and img.build_steps_cached == 0
        assert "STEP 3/4: RUN echo $V > /v" in img.build_output
        assert events[0] == "step" and "info" in events
        r = c.run(image="py/app:1", capture_output=True)
        assert r.stdout == b"two\n"
        again = c.build(str(ctx), tag="py/app:1", build_args={"V": "two"})
        assert again.id == img.id and again.build_steps_run == 0
        with pytest.raises(berth.BerthError) as e:
            c.build(str(ctx), dockerfile_text="FROM busybox:py\nRUN echo nope >&2; exit 3\n")
        assert e.value.exit_code == 3 and "nope" in e.value.output
        assert "exit code 3" in str(e.value)
        with pytest.raises(berth.InvalidArgument) as e:
            c.build(str(ctx), dockerfile_text="FROM busybox:py\nCOPY x\n")
        assert "Dockerfile:2: COPY requires at least two arguments" in str(e.value)
        img.close()
        again.close()


def test_base_image_pulled_from_registry(based, tarball, registry, tmp_path):
    # the base goes to the local registry from another store, with skopeo
    scratch = tmp_path / "scratch"
    r = subprocess.run([CLI, "--root", str(scratch / "root"), "--run-root", str(scratch / "run"),
                        "import", tarball, "busybox:src"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                    "oci:%s/images:docker.io/library/busybox:src" % (scratch / "root"),
                    "docker://%s/base/busybox:1" % registry], check=True)
    ctx = _context(tmp_path, "ARG REG\nFROM ${REG}/base/busybox:1\nRUN echo on-pulled-base > /p\n")
    r = based("build", "--build-arg", "REG=" + registry, "-t", "frompull", str(ctx))
    assert r.returncode == 0, r.stderr + r.stdout
    assert "Pulling %s/base/busybox:1" % registry in r.stdout
    r = based("run", "--rm", "frompull", "cat", "/p")
    assert r.stdout == "on-pulled-base\n"
    r = based("images", "--format", "json")
    repos = sorted(json.loads(line)["Repository"] for line in r.stdout.splitlines())
    assert "%s/base/busybox" % registry in repos
    # a base that is not there: the pull's error, naming the line
    (ctx / "Dockerfile").write_text("FROM %s/base/missing:1\n" % registry)
    r = based("build", str(ctx))
    assert r.returncode == 125
    assert "Dockerfile:1: FROM %s/base/missing:1" % registry in r.stderr


def test_demo_image_serves_its_page(cli, tmp_path):
    ctx = tmp_path / "demo"
    shutil.copytree(DEMO, ctx)
    shutil.copy2("/bin/busybox", ctx / "busybox")
    r = cli("build", "-t", "berth-demo", str(ctx))
    assert r.returncode == 0, r.stderr + r.stdout
    port = _free_port()
    name = "demo-%d" % os.getpid()
    r = cli("run", "-d", "--name", name, "--network", "host", "berth-demo",
            "/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:%d" % port, "-h", "/www")
    assert r.returncode == 0, r.stderr
    try:
        body = None
        for _ in range(100):
            try:
                body = urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=2).read().decode()
                break
            except OSError:
                time.sleep(0.05)
        with open(os.path.join(DEMO, "www", "index.html")) as f:
            assert body == f.read()
        r = cli("exec", name, "sh", "-c", "ls /bin/httpd /www")
        assert r.returncode == 0 and "index.html" in r.stdout, r.stderr
    finally:
        cli("rm", "-f", name)


def test_ctrl_c_cancels_a_running_step(based, tmp_path):
    import signal
    ctx = _context(tmp_path, "FROM busybox:base\nRUN echo started; sleep 30\nRUN echo never\n")
    p = subprocess.Popen([CLI, "--root", based.root, "--run-root", based.run_root, "build", "-t", "c", str(ctx)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = ""
    while "started" not in line:
        line = p.stdout.readline()
        assert line, "the build ended early: " + p.stderr.read()
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=20)
    assert time.monotonic() - t0 < 5
    assert p.returncode == 130, err
    assert "Dockerfile:2: RUN echo started; sleep 30: build cancelled" in err
    assert "never" not in out
    assert _layer_tmp_dirs(based.root) == []
    assert based("image", "inspect", "c").returncode != 0
    # (the roots fixture checks that no container, mount or process is left)
