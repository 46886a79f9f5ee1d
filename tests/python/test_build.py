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


def _build_until_started(cli, ctx, tag):
    """`berth build -t tag ctx` started in the background, returned once its
    output says "started"."""
    p = subprocess.Popen([CLI, "--root", cli.root, "--run-root", cli.run_root, "build", "-t", tag, str(ctx)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = ""
    while "started" not in line:
        line = p.stdout.readline()
        assert line, "the build ended early: " + p.stderr.read()
    return p


def test_ctrl_c_cancels_a_running_step(based, tmp_path):
    import signal
    ctx = _context(tmp_path, "FROM busybox:base\nRUN echo started; sleep 30\nRUN echo never\n")
    p = _build_until_started(based, ctx, "cancelled:1")
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=20)
    assert time.monotonic() - t0 < 5
    assert p.returncode == 130, err
    assert "Dockerfile:2: RUN echo started; sleep 30: build cancelled" in err
    assert "never" not in out
    assert _layer_tmp_dirs(based.root) == []
    # (a full reference: "c" alone could be an id prefix of the base image)
    assert based("image", "inspect", "cancelled:1").returncode != 0
    # (the roots fixture checks that no container, mount or process is left)


def test_built_image_pushed_and_read_back_by_skopeo(based, registry, tmp_path):
    """A multi-step build pushed with `berth push`, read back by skopeo (inspect and
    copy to an OCI layout), then pulled into a fresh berth root and run."""
    ctx = _context(tmp_path, "FROM busybox:base\n"
                             "ENV GREETING=hello-from-build\n"
                             "WORKDIR /srv/app\n"
                             "COPY data.txt ./\n"
                             "RUN echo \"$GREETING $(cat data.txt)\" > out.txt && rm /etc/group\n"
                             "EXPOSE 8080 53/udp\n"
                             "CMD [\"sh\", \"-c\", \"cat /srv/app/out.txt; test ! -e /etc/group && echo no-group\"]\n",
                   {"data.txt": "payload\n"})
    r = based("build", "-t", "pushme:1", str(ctx))
    assert r.returncode == 0, r.stderr + r.stdout
    image_id = r.stdout.splitlines()[-1]
    mine = json.loads(based("image", "inspect", "pushme:1").stdout)[0]
    assert mine["Id"] == image_id
    blobs = os.path.join(based.root, "images", "blobs", "sha256")
    my_cfg = json.load(open(os.path.join(blobs, image_id[7:])))
    assert len(my_cfg["rootfs"]["diff_ids"]) == 4  # busybox, WORKDIR, COPY, RUN
    dest = "%s/built/pushme:1" % registry
    r = based("push", "pushme:1", dest)
    assert r.returncode == 0, r.stderr
    digest = r.stdout.split("digest: ")[1].strip()

    # skopeo inspect: the registry serves what berth built
    info = json.loads(subprocess.run(["skopeo", "inspect", "--tls-verify=false", "docker://" + dest],
                                     capture_output=True, text=True, check=True).stdout)
    assert info["Digest"] == digest
    assert len(info["Layers"]) == 4
    assert "GREETING=hello-from-build" in info["Env"]
    cfg = json.loads(subprocess.run(["skopeo", "inspect", "--config", "--tls-verify=false", "docker://" + dest],
                                    capture_output=True, text=True, check=True).stdout)
    assert cfg["rootfs"]["diff_ids"] == my_cfg["rootfs"]["diff_ids"]
    assert cfg["config"]["Cmd"] == ["sh", "-c", "cat /srv/app/out.txt; test ! -e /etc/group && echo no-group"]
    assert cfg["config"]["ExposedPorts"] == {"8080/tcp": {}, "53/udp": {}}
    assert cfg["config"]["WorkingDir"] == "/srv/app"
    assert "GREETING=hello-from-build" in cfg["config"]["Env"]
    hist = [h["created_by"] for h in cfg["history"]]
    assert hist[-6:] == ["ENV GREETING=hello-from-build", "WORKDIR /srv/app", "COPY data.txt ./",
                         "RUN echo \"$GREETING $(cat data.txt)\" > out.txt && rm /etc/group",
                         "EXPOSE 8080 53/udp",
                         "CMD [\"sh\", \"-c\", \"cat /srv/app/out.txt; test ! -e /etc/group && echo no-group\"]"]
    assert [bool(h.get("empty_layer")) for h in cfg["history"][-6:]] == [True, False, False, False, True, True]
    # (skopeo re-prints the timestamps: compare what is not a time; the bytes are compared below)
    assert cfg["config"] == my_cfg["config"]
    assert [{k: v for k, v in h.items() if k != "created"} for h in cfg["history"]] == \
        [{k: v for k, v in h.items() if k != "created"} for h in my_cfg["history"]]

    # skopeo copy to an OCI layout: the same blobs, byte for byte
    out = tmp_path / "copied"
    subprocess.run(["skopeo", "copy", "--quiet", "--src-tls-verify=false", "--preserve-digests",
                    "docker://" + dest, "oci:%s:x" % out], check=True)
    oidx = json.load(open(out / "index.json"))
    m = json.load(open(out / "blobs" / "sha256" / oidx["manifests"][0]["digest"][7:]))
    assert m["config"]["digest"] == image_id
    mine_m = json.load(open(os.path.join(blobs, digest[7:])))
    assert [l["digest"] for l in m["layers"]] == [l["digest"] for l in mine_m["layers"]]
    for d in m["layers"] + [m["config"]]:
        assert open(out / "blobs" / "sha256" / d["digest"][7:], "rb").read() == \
            open(os.path.join(blobs, d["digest"][7:]), "rb").read()
    # the last layer's tar has the RUN's file and the whiteout of /etc/group
    import tarfile
    with tarfile.open(out / "blobs" / "sha256" / m["layers"][-1]["digest"][7:]) as t:
        names = t.getnames()
        assert "srv/app/out.txt" in [n.lstrip("./") for n in names]
        assert "etc/.wh.group" in [n.lstrip("./") for n in names]
        f = [x for x in t.getmembers() if x.name.lstrip("./") == "srv/app/out.txt"][0]
        assert t.extractfile(f).read() == b"hello-from-build payload\n"

    # pulled back into a fresh berth root and run
    fresh = tmp_path / "fresh"
    try:
        r = subprocess.run([CLI, "--root", str(fresh / "r"), "--run-root", str(fresh / "rr"), "run", "--rm", dest],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert r.stdout == "hello-from-build payload\nno-group\n"
        r = subprocess.run([CLI, "--root", str(fresh / "r"), "--run-root", str(fresh / "rr"), "image", "inspect",
                            dest], capture_output=True, text=True)
        assert json.loads(r.stdout)[0]["Id"] == image_id
    finally:
        for sub in ("r/containers", "rr/containers"):
            p = fresh / sub
            assert not (p.is_dir() and os.listdir(p)), "left behind: %s" % os.listdir(p)


@pytest.fixture
def long_cli(tmp_path, tarball, monkeypatch):
    """The CLI with state roots under a 200-character directory name (with a ','
    and a ':' in it): 60 layer paths make an overlay option string of ~20 KB."""
    monkeypatch.setenv("BERTH_NETWORK", "none")
    base = tmp_path / ("long,name:" + "d" * 190)
    root, run_root = base / "root", base / "run"

    def run(*args, input=None, timeout=300):
        return subprocess.run([CLI, "--root", str(root), "--run-root", str(run_root)] + list(args), input=input,
                              capture_output=True, text=True, timeout=timeout)
    run.root, run.run_root = str(root), str(run_root)
    r = run("import", tarball, "busybox:base")
    assert r.returncode == 0, r.stderr
    yield run
    left = []
    for p in (root / "containers", run_root / "containers"):
        if p.is_dir() and os.listdir(p):
            left.append("%s: %s" % (p, os.listdir(p)))
    with open("/proc/self/mountinfo") as f:
        mounts = [line.split()[4] for line in f if str(base) in line]
    assert not mounts and not left and _layer_tmp_dirs(str(root)) == [], "left behind: %s %s" % (mounts, left)


def test_sixty_layers_under_a_long_root(long_cli, tmp_path):
    n = 60
    df = "FROM busybox:base\n"
    df += "".join("COPY f%02d.txt /data/\n" % i for i in range(n))
    df += ("RUN ls /data | wc -l > /count && grep ' / / ' /proc/self/mountinfo | sed 's/.* - //' | cut -d' ' -f1 "
           "> /run-rootfs-type\n")
    df += "CMD [\"sh\", \"-c\", \"cat /count /run-rootfs-type /data/f00.txt /data/f59.txt; "
    df += "grep ' / / ' /proc/self/mountinfo | sed 's/.* - //' | cut -d' ' -f1\"]\n"
    ctx = _context(tmp_path, df, {"f%02d.txt" % i: "file %d\n" % i for i in range(n)})
    r = long_cli("build", "-t", "many", str(ctx))
    assert r.returncode == 0, r.stderr + r.stdout[-2000:]
    info = json.loads(long_cli("image", "inspect", "many").stdout)[0]
    assert len(info["RootFS"]["Layers"]) == 1 + n + 1
    # the layer paths alone are far more than a page: no mount(2) option string could hold them
    assert sum(len(os.path.join(long_cli.root, "layers", "x" * 64)) + 1 for _ in range(n + 2)) > 4 * 4096
    r = long_cli("run", "--rm", "many")
    assert r.returncode == 0, r.stderr
    # the RUN step and the container both ran on an overlay (no copy fallback)
    assert r.stdout == "%d\noverlay\nfile 0\nfile 59\noverlay\n" % n
    # a rebuild takes all 62 steps after FROM from the cache
    r = long_cli("build", "-t", "many", str(ctx))
    assert r.returncode == 0 and r.stdout.count("--> Using cache") == n + 2, r.stderr


def test_python_build_cancel(roots, tarball, tmp_path):
    import threading
    root, run_root = roots
    ctx = _context(tmp_path, "FROM busybox:py\nRUN echo started; sleep 30\nRUN echo never\n")
    with berth.Context(root=root, run_root=run_root) as c:
        c.import_image(tarball, "busybox:py").close()
        # from another thread, while the RUN step runs
        stop = threading.Event()
        started = threading.Event()
        outs = []

        def output(kind, text):
            outs.append(text)
            if "started" in text:
                started.set()

        def canceller():
            started.wait(20)
            stop.set()
        t = threading.Thread(target=canceller)
        t.start()
        t0 = time.monotonic()
        with pytest.raises(berth.BerthError) as e:
            c.build(str(ctx), tag="cancelled:1", output=output, cancel=stop)
        t.join()
        assert started.is_set()
        assert time.monotonic() - t0 < 10
        assert "Dockerfile:2: RUN echo started; sleep 30: build cancelled" in str(e.value)
        assert "never" not in "".join(outs)
        with pytest.raises(berth.NotFound):
            c.image("cancelled:1")
        assert _layer_tmp_dirs(root) == []
        # from the output callback, at a step boundary
        stop2 = threading.Event()
        with pytest.raises(berth.BerthError) as e:
            c.build(str(ctx), dockerfile_text="FROM busybox:py\nRUN echo one > /one\nRUN echo two\n",
                    output=lambda kind, text: stop2.set() if text.startswith("STEP 2/3") else None, cancel=stop2)
        assert "Dockerfile:2: RUN echo one > /one: build cancelled" in str(e.value)
        assert "STEP 3/3" not in e.value.output
        # an event set before the build: nothing runs
        with pytest.raises(berth.BerthError) as e:
            c.build(str(ctx), cancel=stop)
        assert "Dockerfile:1: build cancelled" in str(e.value)
        # an unset event changes nothing
        img = c.build(str(ctx), dockerfile_text="FROM busybox:py\nRUN echo ok > /ok\n", cancel=threading.Event())
        assert img.build_steps_run == 1
        img.close()
        with pytest.raises(TypeError):
            c.build(str(ctx), cancel=True)
    # (the roots fixture checks that no container, mount or process is left)


def _step_leftovers(root, run_root):
    """Step containers (state dirs) and RUN processes a build left behind."""
    left = []
    for d in (os.path.join(root, "containers"), os.path.join(run_root, "containers")):
        if os.path.isdir(d):
            left += [os.path.join(d, n) for n in os.listdir(d)]
    procs = subprocess.run(["pgrep", "-f", "started-by-py; sleep 37"], capture_output=True, text=True).stdout.split()
    return left + ["pid %s" % p for p in procs]


def test_python_build_stopped_by_its_output_callback(roots, tarball, tmp_path):
    root, run_root = roots
    ctx = _context(tmp_path, "FROM busybox:py\nRUN echo started-by-py; sleep 37\nRUN echo never\n")
    with berth.Context(root=root, run_root=run_root) as c:
        c.import_image(tarball, "busybox:py").close()
        # True from the callback, while the RUN step runs: it is killed
        seen = []

        def stop_when_started(kind, text):
            seen.append(text)
            return kind == "output" and "started-by-py" in text
        t0 = time.monotonic()
        with pytest.raises(berth.Canceled) as e:
            c.build(str(ctx), tag="stopped:1", output=stop_when_started)
        assert time.monotonic() - t0 < 10
        assert "build canceled by the output callback" in str(e.value), str(e.value)
        assert e.value.__cause__ is None and e.value.exit_code == 0
        assert "started-by-py" in e.value.output and "never" not in "".join(seen)
        assert _step_leftovers(root, run_root) == []
        assert _layer_tmp_dirs(root) == []
        with pytest.raises(berth.NotFound):
            c.image("stopped:1")

        # an exception in the callback stops the build at once, and is the cause
        def broken(kind, text):
            if text.startswith("STEP 2/3"):
                raise KeyError("no such event")
        with pytest.raises(berth.Canceled) as e:
            c.build(str(ctx), tag="stopped:1", output=broken)
        assert isinstance(e.value.__cause__, KeyError)
        assert "STEP 2/3" in e.value.output and "started-by-py\n" not in e.value.output  # the RUN never ran
        assert _step_leftovers(root, run_root) == []

        # Ctrl-C in the callback: the build stops and KeyboardInterrupt itself is raised
        def interrupted(kind, text):
            if text.startswith("STEP 2/3"):
                raise KeyboardInterrupt
        with pytest.raises(KeyboardInterrupt):
            c.build(str(ctx), tag="stopped:1", output=interrupted)
        assert _step_leftovers(root, run_root) == [] and _layer_tmp_dirs(root) == []
        with pytest.raises(berth.NotFound):
            c.image("stopped:1")

        # a 0.1-style callback (None, or a count as sys.stdout.write returns) builds
        kinds = []
        img = c.build(str(ctx), dockerfile_text="FROM busybox:py\nRUN echo ok > /ok\n",
                      output=lambda kind, text: kinds.append(kind) or len(text))
        assert img.build_steps_run == 1 and img.build_steps_cached == 0 and "step" in kinds
        img.close()
    # (the roots fixture checks that no container, mount or process is left)


def _cache_entries(root):
    d = os.path.join(root, "build-cache")
    return set(os.listdir(d)) if os.path.isdir(d) else set()


def test_prune_drops_stale_build_cache(based, tmp_path):
    ctx = _context(tmp_path, "FROM busybox:base\nRUN echo a > /a\nENV A=1\nCMD [\"cat\", \"/a\"]\n", {"x.txt": "x\n"})
    r = based("build", "-q", "-t", "keep", str(ctx))
    assert r.returncode == 0, r.stderr
    keep_id = r.stdout.strip()
    kept = _cache_entries(based.root)
    assert len(kept) == 3  # RUN, ENV, CMD
    (ctx / "Dockerfile.b").write_text("FROM busybox:base\nRUN echo b > /b\nCOPY x.txt /\nENV B=1\n")
    assert based("build", "-q", "-t", "gone", "-f", str(ctx / "Dockerfile.b"), str(ctx)).returncode == 0
    with_b = _cache_entries(based.root)
    assert kept < with_b and len(with_b) == 3 + 3
    (ctx / "Dockerfile.c").write_text("FROM busybox:base\nRUN echo c > /c\nRUN exit 3\n")
    assert based("build", "-q", "-f", str(ctx / "Dockerfile.c"), str(ctx)).returncode == 3
    failed = _cache_entries(based.root) - with_b
    assert len(failed) == 1  # the RUN that succeeded: its layer stays as build cache
    # a prune while "gone" is still tagged keeps its entries; the failed build's layer goes, and its entry
    r = based("image", "prune")
    assert r.returncode == 0, r.stderr
    assert _cache_entries(based.root) == with_b
    # the image goes: so do its layers and the entries of its steps (the ENV after the COPY as well)
    assert based("rmi", "gone").returncode == 0
    r = based("image", "prune")
    assert r.returncode == 0, r.stderr
    assert _cache_entries(based.root) == kept
    # what is left still works: a rebuild of "keep" runs nothing and gives the same image
    r = based("build", "-t", "keep", str(ctx))
    assert r.returncode == 0 and r.stdout.splitlines()[-1] == keep_id and r.stdout.count("--> Using cache") == 3
    # ... and the pruned steps run again
    r = based("build", "-t", "gone", "-f", str(ctx / "Dockerfile.b"), str(ctx))
    assert r.returncode == 0 and "Using cache" not in r.stdout, r.stdout
    # without the base image nothing built on it stays
    for name in ("keep", "gone", "busybox:base"):
        assert based("rmi", name).returncode == 0
    r = based("image", "prune")
    assert r.returncode == 0, r.stderr
    assert _cache_entries(based.root) == set()
    assert [n for n in os.listdir(os.path.join(based.root, "layers")) if not n.startswith(".")] == []
    # unreadable entries and temp files of an interrupted write go too; other files stay
    cache = os.path.join(based.root, "build-cache")
    for name, text in (("a" * 64 + ".json", "{not json"), ("b" * 64 + ".json.tmp.1.2", "{}"), ("README", "mine")):
        with open(os.path.join(cache, name), "w") as f:
            f.write(text)
    r = based("image", "prune")
    assert r.returncode == 0, r.stderr
    assert _cache_entries(based.root) == {"README"}


def test_stages_the_target_does_not_need_are_skipped(based, tmp_path):
    ctx = _context(tmp_path, "ARG SRC=dep\n"
                             "FROM busybox:base AS unused\n"
                             "RUN echo unused-ran; exit 7\n"
                             "FROM 127.0.0.1:1/no/such-image AS unpullable\n"
                             "FROM busybox:base AS dep\n"
                             "RUN echo dep > /dep\n"
                             "FROM busybox:base AS other\n"
                             "RUN echo other-ran > /other\n"
                             "FROM busybox:base AS final\n"
                             "COPY --from=${SRC} /dep /dep\n"
                             "COPY --from=3 /other /other\n"
                             "FROM final AS extended\n"
                             "RUN echo ext-ran > /ext\n")
    # --target final: "dep" (by an argument) and "other" (by index) are built; "unused", "unpullable"
    # (its image does not exist) and "extended" not
    r = based("build", "-t", "t:final", "--target", "final", str(ctx))
    assert r.returncode == 0, r.stderr + r.stdout
    steps = [line for line in r.stdout.splitlines() if line.startswith("STEP ")]
    assert steps == ["STEP 1/8: ARG SRC=dep", "STEP 2/8: FROM busybox:base AS dep", "STEP 3/8: RUN echo dep > /dep",
                     "STEP 4/8: FROM busybox:base AS other", "STEP 5/8: RUN echo other-ran > /other",
                     "STEP 6/8: FROM busybox:base AS final", "STEP 7/8: COPY --from=${SRC} /dep /dep",
                     "STEP 8/8: COPY --from=3 /other /other"], steps
    assert "unused-ran" not in r.stdout and "ext-ran" not in r.stdout
    r = based("run", "--rm", "t:final", "sh", "-c", "cat /dep /other; ls /ext 2>&1 || true")
    assert r.stdout.startswith("dep\nother-ran\n") and "No such file" in r.stdout, r.stdout + r.stderr
    # the default target (the last stage) needs final, dep and other, not "unused"
    r = based("build", "-t", "t:ext", str(ctx))
    assert r.returncode == 0, r.stderr + r.stdout
    assert "unused-ran" not in r.stdout and "STEP 10/10: RUN echo ext-ran > /ext" in r.stdout
    assert "Pulling" not in r.stdout
    r = based("build", "--target", "unpullable", str(ctx))
    assert r.returncode == 125 and "Dockerfile:4: FROM 127.0.0.1:1/no/such-image" in r.stderr, r.stderr
    # the skipped stage is not skipped when it is the target: its RUN fails
    r = based("build", "--target", "unused", str(ctx))
    assert r.returncode == 7 and "unused-ran" in r.stdout
    assert [line for line in r.stdout.splitlines() if line.startswith("STEP ")] == [
        "STEP 1/3: ARG SRC=dep", "STEP 2/3: FROM busybox:base AS unused", "STEP 3/3: RUN echo unused-ran; exit 7"]


def test_cli_run_user_names_from_the_layers(based, tmp_path):
    """-u NAME[:GROUP] is looked up as the image's layers stack up: a group added
    by a later layer (which left /etc/passwd alone) is found; a deleted
    /etc/passwd (a whiteout) hides the one below."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    ctx = _context(tmp_path / "a", "FROM busybox:base\nRUN echo 'crew:x:4242:' >> /etc/group\n")
    r = based("build", "-t", "crew", str(ctx))
    assert r.returncode == 0, r.stderr + r.stdout
    r = based("run", "--rm", "-u", "nobody:crew", "crew", "sh", "-c", "id -u; id -g")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["65534", "4242"]
    ctx = _context(tmp_path / "b", "FROM crew\nRUN rm /etc/passwd\n")
    r = based("build", "-t", "nopasswd", str(ctx))
    assert r.returncode == 0, r.stderr + r.stdout
    r = based("run", "--rm", "-u", "nobody", "nopasswd", "true")
    assert r.returncode == 125 and "no such user" in r.stderr, r.stderr
    r = based("run", "--rm", "-u", "65534", "nopasswd", "sh", "-c", "id -u; id -g")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["65534", "0"]
