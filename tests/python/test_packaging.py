# The Python package as users install it: `pip install bindings/python` into a
# virtual environment (pure Python, nothing compiled, py.typed shipped, the
# type hints seen by mypy), and `cmake --install` into a prefix (component
# "python"; BERTH_INSTALL_PYTHON=ON puts it in a plain install) importable with
# only that prefix's paths: no source tree, no BERTH_LIBRARY.
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import BUILD

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
PYTHON = "/usr/bin/python3"  # Debian's, with python3-setuptools, python3-venv and mypy
LIBRARY = os.environ.get("BERTH_LIBRARY", os.path.join(BUILD, "lib", "libberth.so.0"))


def _project_version():
    with open(os.path.join(SRC, "CMakeLists.txt")) as f:
        return re.search(r"project\(berth VERSION ([0-9.]+)", f.read()).group(1)


def _clean_env(**extra):
    """The environment without anything that points at the source tree or the build."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "BERTH_LIBRARY", "LD_LIBRARY_PATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(extra)
    return env


def _run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    assert r.returncode == 0, "%s failed (%d):\n%s\n%s" % (cmd, r.returncode, r.stdout, r.stderr)
    return r


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A venv with `pip install --no-build-isolation --no-index` of a copy of
    bindings/python (pip builds in the source directory: the copy keeps the
    tree clean). Debian's pip and setuptools come from the system packages."""
    d = tmp_path_factory.mktemp("venv")
    src = d / "src"
    shutil.copytree(os.path.join(SRC, "bindings", "python"), src,
                    ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    _run([PYTHON, "-m", "venv", "--without-pip", "--system-site-packages", str(d / "env")])
    py = str(d / "env" / "bin" / "python")
    # no compiler: a build that tried to compile anything would fail
    _run([py, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-index", str(src)],
         cwd=str(d), env=_clean_env(CC="/bin/false", PATH="/usr/bin:/bin"))
    yield py, d
    shutil.rmtree(d, ignore_errors=True)


def test_pip_install_pure_python(venv):
    py, d = venv
    r = _run([py, "-c", "import berth, sys; print(berth.__file__); print(berth.version()); print(berth.__version__); "
                        "print(sorted(berth.__all__) == sorted(set(berth.__all__)))"],
             cwd=str(d), env=_clean_env(BERTH_LIBRARY=LIBRARY))
    path, version, pyversion, unique = r.stdout.split()
    assert path.startswith(str(d / "env")), "berth imported from %s, not the venv" % path
    # the library, the package and its metadata carry the project's version
    want = _project_version()
    assert version == want and pyversion == want and unique == "True", r.stdout
    pkg = os.path.dirname(path)
    files = sorted(os.listdir(pkg))
    assert "py.typed" in files, files
    assert not [f for f in files if f.endswith((".so", ".c"))], files
    dist = [f for f in os.listdir(os.path.dirname(pkg)) if f.startswith("berth-")]
    assert dist == ["berth-%s.dist-info" % want], dist


GOOD = """
import berth

def main(rootfs: str) -> int:
    with berth.Context(root="/tmp/r", run_root="/tmp/rr") as ctx:
        r = ctx.run(["/bin/sh", "-c", "echo hi"], rootfs=rootfs, capture_output=True, timeout=5.0)
        out: bytes = r.stdout or b""
        c = ctx.create(["sleep", "1"], rootfs=rootfs, detach=True, memory="64m")
        code: int = c.start().wait()
        try:
            c.exec(["true"]).check_returncode()
        except berth.ContainerError as e:
            base: berth.BerthError = e
        except TimeoutError:
            pass
        s: berth.Spec = berth.Spec().set_args(["x"]).setenv("A", "1")
        return code + len(out)
"""

BAD = """
import berth

def main(ctx: berth.Context) -> str:
    c = ctx.create(["sleep", "1"], rootfs="/x", detach="yes")
    return c.wait(timeout="ten")
"""


def _mypy(py, d, name, text):
    f = d / name
    f.write_text(textwrap.dedent(text))
    return subprocess.run([PYTHON, "-m", "mypy", "--no-incremental", "--cache-dir", str(d / "mypy-cache"),
                           "--python-executable", py, str(f)],
                          capture_output=True, text=True, cwd=str(d), env=_clean_env(), timeout=600)


def test_type_hints_seen_by_mypy(venv):
    """mypy uses the installed package's hints (py.typed): a correct client
    passes, a wrong one fails on the wrong arguments and return type."""
    py, d = venv
    r = _mypy(py, d, "good.py", GOOD)
    assert r.returncode == 0, r.stdout + r.stderr
    r = _mypy(py, d, "bad.py", BAD)
    assert r.returncode == 1, r.stdout + r.stderr
    out = r.stdout
    assert 'Argument "detach" to "create" of "Context" has incompatible type "str"; expected "bool"' in out, out
    assert 'Argument "timeout" to "wait" of "Container" has incompatible type "str"' in out, out
    assert 'Incompatible return value type (got "int", expected "str")' in out, out
    assert "py.typed" not in out, out


def test_package_checks_clean_with_mypy():
    r = subprocess.run([PYTHON, "-m", "mypy", "--no-incremental", "--python-version", "3.9", "-p", "berth"],
                       capture_output=True, text=True, timeout=600,
                       cwd=os.path.join(SRC, "bindings", "python"), env=_clean_env())
    assert r.returncode == 0, r.stdout + r.stderr


def _cache_value(name):
    with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split("=", 1)[1].strip()
    return None


def test_cmake_install_prefix(tmp_path, rootfs):
    """cmake --install into a prefix: the package in the prefix's
    site-packages finds the prefix's library by itself and runs a container."""
    pydir = _cache_value("BERTH_PYTHON_INSTALL_DIR")
    assert pydir, "BERTH_PYTHON_INSTALL_DIR not in %s/CMakeCache.txt" % BUILD
    prefix = tmp_path / "prefix"
    _run(["cmake", "--install", BUILD, "--prefix", str(prefix)])
    _run(["cmake", "--install", BUILD, "--prefix", str(prefix), "--component", "python"])
    site = prefix / pydir
    assert (site / "berth" / "py.typed").exists() and (site / "berth" / "_install.py").exists()
    prog = textwrap.dedent("""
        import berth, sys
        print(berth.__file__); print(berth._lib.path)
        with berth.Context(root=sys.argv[1] + "/root", run_root=sys.argv[1] + "/run") as ctx:
            r = ctx.run(["/bin/sh", "-c", "echo $$"], rootfs=sys.argv[2], capture_output=True)
        print(r.exit_code, r.stdout.decode().strip())
        print(open("/proc/self/maps").read().count(sys.argv[3]))
    """)
    r = _run([PYTHON, "-S", "-c", "import sys; sys.path.insert(0, %r); exec(sys.stdin.read())" % str(site),
              str(tmp_path), rootfs, str(prefix)],
             input=prog, cwd=str(tmp_path), env=_clean_env())
    mod, lib, result, mapped = r.stdout.strip().split("\n")
    assert mod.startswith(str(site)), mod
    assert os.path.realpath(lib).startswith(str(prefix)), lib
    assert result == "0 1", result
    assert int(mapped) > 0, "the prefix's libberth.so.0 is not mapped"
    assert not os.listdir(tmp_path / "root" / "containers")
