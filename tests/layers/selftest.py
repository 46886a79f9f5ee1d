#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""scripts/check-layers.py on small made-up trees: it fails on a cycle and
names the includes that make it, accepts a tree without one, lets an
allow-listed cycle pass, and says when an allow-listed cycle is gone.

  selftest.py path/to/check-layers.py"""
import os
import subprocess
import sys
import tempfile

SCRIPT = sys.argv[1]


def tree(root, files):
    for path, text in files.items():
        p = os.path.join(root, path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)


def run(lib, allow=""):
    p = subprocess.run([sys.executable, SCRIPT, "--lib", lib, "--allow", allow], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def expect(cond, what, out):
    if not cond:
        print(f"FAIL: {what}\n--- output:\n{out}")
        sys.exit(1)
    print(f"ok: {what}")


with tempfile.TemporaryDirectory() as d:
    lib = os.path.join(d, "lib")
    tree(lib, {
        "internal.h": "",
        "common/util.c": '#include "internal.h"\n',
        "low/low.h": '#include "internal.h"\n',
        "high/high.c": '#include "low/low.h"\n#include "../common/x.h"\n#include <stdio.h>\n',
        "wiring.c": '#include "high/high.h"\n#include "low/low.h"\n',
    })
    rc, out = run(lib)
    expect(rc == 0 and "no cycles" in out, "a tree without a cycle passes", out)

    tree(lib, {"low/low.c": '#include "internal.h"\n#include "../high/high.h"\n'})
    rc, out = run(lib)
    expect(rc == 1 and "CYCLE: high <-> low" in out, "a cycle through ../ fails and is named", out)
    expect('lib/low/low.c includes "../high/high.h"' in out and 'lib/high/high.c includes "low/low.h"' in out,
           "both includes of the cycle are printed", out)

    allow = os.path.join(d, "allow")
    with open(allow, "w") as f:
        f.write("# known\nlow high  # being removed\n")
    rc, out = run(lib, allow)
    expect(rc == 0 and "known cycle (allow-list): high <-> low" in out, "an allow-listed cycle passes", out)

    tree(lib, {"common/bad.c": '#include "high/high.h"\n'})
    rc, out = run(lib, allow)
    expect(rc == 1 and "CYCLE: common <-> high <-> low" in out, "a larger cycle than the allowed one fails", out)

    os.remove(os.path.join(lib, "common/bad.c"))
    os.remove(os.path.join(lib, "low/low.c"))
    rc, out = run(lib, allow)
    expect(rc == 0 and "high <-> low is no longer a cycle" in out, "a stale allow-list entry is reported", out)
