# SPDX-License-Identifier: LGPL-2.1-or-later
"""The ctypes copies of the public C structs (bindings/python/berth) against
the headers: sizes and offsets printed by tests/abi (abi_struct_layout, made
from include/berth/*.h at build time), so a header change cannot silently
break Python."""
import ctypes
import inspect
import os
import re
import subprocess

import berth
from berth import _lib

from conftest import BUILD


def c_layouts():
    exe = os.path.join(BUILD, "bin", "abi_struct_layout")
    out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
    structs = {}
    for line in out.splitlines():
        name, *nums = line.split()
        if "." in name:
            s, f = name.split(".", 1)
            structs[s]["fields"][f] = (int(nums[0]), int(nums[1]))
        else:
            structs[name] = {"size": int(nums[0]), "fields": {}}
    return structs


def ctypes_copies():
    """{C struct name: ctypes class} of every Structure of the bindings whose
    docstring starts with the C name and that has fields (opaque handles have
    none)."""
    out = {}
    for mod in [m for m in vars(berth).values() if inspect.ismodule(m)] + [_lib]:
        for cls in vars(mod).values():
            if inspect.isclass(cls) and issubclass(cls, ctypes.Structure) and "_fields_" in vars(cls):
                m = re.match(r"(berth_\w+)", cls.__doc__ or "")
                assert m, "%s.%s: its docstring must name the C struct it copies" % (mod.__name__, cls.__name__)
                out[m.group(1)] = cls
    return out


def test_every_ctypes_struct_matches_its_header():
    c, py = c_layouts(), ctypes_copies()
    assert len(c) >= 10 and len(py) >= 10, (sorted(c), sorted(py))
    problems = []
    for name, cls in sorted(py.items()):
        if name not in c:
            problems.append("%s (%s): no such public struct in include/berth" % (name, cls.__name__))
            continue
        if ctypes.sizeof(cls) != c[name]["size"]:
            problems.append("%s: sizeof %d in C, %d in %s" % (name, c[name]["size"], ctypes.sizeof(cls), cls.__name__))
        pyfields = [f[0] for f in cls._fields_]
        if pyfields != list(c[name]["fields"]):
            problems.append("%s: fields %s in C, %s in %s" % (name, list(c[name]["fields"]), pyfields, cls.__name__))
        for f, (off, size) in c[name]["fields"].items():
            d = getattr(cls, f, None)
            if d is not None and (d.offset, d.size) != (off, size):
                problems.append("%s.%s: offset %d size %d in C, %d %d in Python" % (name, f, off, size, d.offset, d.size))
    assert not problems, "\n".join(problems)


def test_every_public_struct_the_bindings_pass_has_a_copy():
    # the structs Python hands to the library or reads from it; the others
    # (none today) would be listed here with the reason
    c, py = c_layouts(), ctypes_copies()
    missing = sorted(set(c) - set(py))
    assert not missing, "public structs without a ctypes copy: %s" % missing
