# The README's main command, minus installing and building: scripts/demo.sh
# builds examples/demo/Dockerfile, runs it with -p 8080:80 and fetches the
# page through the published port (from a non-loopback host address and from
# 127.0.0.1), in a private network namespace playing the host.
import os
import subprocess

from conftest import BUILD

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_demo_serves_the_page_through_the_published_port():
    env = dict(os.environ, BERTH_BUILD_DIR=os.path.abspath(BUILD))
    env.pop("BERTH_NETWORK", None)
    p = subprocess.run(["unshare", "--net", "--mount", "--propagation", "private",
                        os.path.join(ROOT, "scripts", "demo.sh"), "--inside", "--netns"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "+ wget -qO- http://192.0.2.1:8080/" in p.stdout
    assert "<h1>Hello from a berth container</h1>" in p.stdout
    assert "(the same page)" in p.stdout
    assert "0.0.0.0:8080->80/tcp" in p.stdout  # berth ps
    assert p.stdout.rstrip().endswith("demo ok")
