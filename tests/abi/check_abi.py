#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The built libberth against 0.1's ABI (abi/libberth-0.1.abi, abidw of the
0.1.0 release; docs/abi.md). Fails when a program built against 0.1 would
notice a difference:

1. every symbol 0.1 exported is still exported with its BERTH_0.1 version
   (abidiff matches functions by name: a lost name@BERTH_0.1 next to a
   name@@BERTH_0.2 would go unseen);
2. abidiff with abi/berth.suppr reports nothing removed and nothing changed
   (added functions are fine; the suppressions let opaque handles change and
   the versioned structs grow at the end);
3. the versioned structs the suppression lets through did only grow at the
   end: every member of 0.1 is still there with its name, offset and type
   (libabigail's has_data_member_inserted_at also lets a retyped member
   through when the size stays).

Usage: check_abi.py LIBRARY SOURCE_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

# the versioned structs of abi/berth.suppr's second rule
VERSIONED = re.compile(r"^berth_([a-z_]+_options|cgroup_resources|cgroup_stats|log_record)$")
# 0.1 structs that became opaque: their layout lives on, frozen, in the
# compat functions' struct (abidiff does not compare a name@BERTH_0.1 that
# is no longer the default version)
FROZEN = {"berth_port": "berth_port_0_1"}  # 0.1's name -> the compat struct (lib/net/ports_compat.c)


def fail(msg, report=""):
    print("ABI break against 0.1: " + msg)
    if report:
        print(report)
    sys.exit(1)


def exported_versions(lib):
    out = subprocess.run(["objdump", "-T", lib], check=True, capture_output=True, text=True).stdout
    have = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 2 and f[-1].startswith("berth_"):
            have.add(f[-1] + "@" + f[-2].strip("()"))
    return have


def check_symbols(baseline, lib):
    root = ET.parse(baseline).getroot()
    want = {s.get("name") + "@" + s.get("version") for s in root.iter("elf-symbol")
            if s.get("version") == "BERTH_0.1" and s.get("is-defined") == "yes"}
    if not want:
        fail("no BERTH_0.1 symbol in %s" % baseline)
    lost = sorted(want - exported_versions(lib))
    if lost:
        fail("%d of the %d symbols of 0.1 are no longer exported with their version:\n  %s"
             % (len(lost), len(want), "\n  ".join(lost)))
    print("%d symbols of 0.1 still exported as name@BERTH_0.1" % len(want))


def run_abidiff(src, baseline, lib):
    p = subprocess.run(["abidiff", "--suppressions", os.path.join(src, "abi", "berth.suppr"),
                        "--headers-dir2", os.path.join(src, "include", "berth"), "--drop-private-types",
                        "--exported-interfaces-only", "--no-added-syms", baseline, lib], capture_output=True, text=True)
    report = p.stdout + p.stderr
    # exit status bits: 1 error, 2 usage, 4 ABI change, 8 incompatible change.
    # 4 alone may still be a changed function (a struct grown in the middle is
    # "changed", not "incompatible"): the summary decides.
    if p.returncode & 3:
        fail("abidiff failed (exit %d)" % p.returncode, report)
    bad = [l for l in report.splitlines()
           if re.match(r"^(Functions|Variables|Function symbols|Variable symbols) changes summary:", l)
           and re.search(r"\b[1-9][0-9]* (Removed|Changed)", l)]
    if p.returncode & 8 or bad:
        fail("abidiff (exit %d):" % p.returncode, report)
    print("abidiff (exit %d):\n%s" % (p.returncode, report.rstrip()))


class Types:
    """Type ids of an abidw corpus -> a readable, comparable spelling."""

    def __init__(self, root):
        self.by_id = {e.get("id"): e for e in root.iter() if e.get("id")}

    def spell(self, tid, depth=0):
        e = self.by_id.get(tid)
        if e is None or depth > 20:
            return "?" + str(tid)
        tag = e.tag
        if tag in ("type-decl", "typedef-decl"):
            return e.get("name")
        if tag == "class-decl":
            return "struct " + (e.get("name") or "?")
        if tag == "union-decl":
            return "union " + (e.get("name") or "?")
        if tag == "enum-decl":
            return "enum " + (e.get("name") or "?")
        if tag == "pointer-type-def":
            return self.spell(e.get("type-id"), depth + 1) + "*"
        if tag == "qualified-type-def":
            q = " ".join(k for k in ("const", "volatile", "restrict") if e.get(k) == "yes")
            return q + " " + self.spell(e.get("type-id"), depth + 1)
        if tag == "array-type-def":
            dims = "".join("[%s]" % (s.get("length") or "") for s in e.findall("subrange"))
            return self.spell(e.get("type-id"), depth + 1) + dims
        if tag == "function-type":
            params = [self.spell(p.get("type-id"), depth + 1) for p in e.findall("parameter")]
            ret = e.find("return")
            return "fn(%s) -> %s" % (", ".join(params), self.spell(ret.get("type-id"), depth + 1) if ret is not None
                                     else "?")
        return tag + ":" + str(e.get("name"))


def struct_layouts(xml_path, names):
    """{name: (size in bits, [(member, offset, type)])} of the structs whose
    name matches the regexp names."""
    root = ET.parse(xml_path).getroot()
    types = Types(root)
    out = {}
    for c in root.iter("class-decl"):
        name = c.get("name") or ""
        if not names.match(name) or c.get("is-declaration-only") == "yes" or name in out:
            continue
        members = []
        for dm in c.findall("data-member"):
            v = dm.find("var-decl")
            members.append((v.get("name"), int(dm.get("layout-offset-in-bits")), types.spell(v.get("type-id"))))
        out[name] = (int(c.get("size-in-bits") or 0), members)
    return out


def check_versioned_structs(baseline, lib):
    tmp = tempfile.mkdtemp(prefix="berth-abi-")
    try:
        cur_xml = os.path.join(tmp, "current.abi")
        subprocess.run(["abidw", "--exported-interfaces-only", "--no-corpus-path", "--out-file", cur_xml, lib],
                       check=True)
        frozen = re.compile("^(%s)$" % "|".join(list(FROZEN) + list(FROZEN.values())))
        old, new = struct_layouts(baseline, VERSIONED), struct_layouts(cur_xml, VERSIONED)
        old_frozen, new_frozen = struct_layouts(baseline, frozen), struct_layouts(cur_xml, frozen)
    finally:
        shutil.rmtree(tmp)
    problems = []
    for name, compat in sorted(FROZEN.items()):
        if name not in old_frozen or old_frozen.get(name) != new_frozen.get(compat):
            problems.append("0.1's struct %s %s, the compat struct %s %s" % (name, old_frozen.get(name), compat,
                                                                            new_frozen.get(compat, "is missing")))
    for name, (size, members) in sorted(old.items()):
        if name not in new:
            problems.append("%s: gone from the library" % name)
            continue
        nsize, nmembers = new[name]
        if nsize < size:
            problems.append("%s: shrank from %d to %d bits" % (name, size, nsize))
        for i, m in enumerate(members):
            if i >= len(nmembers) or nmembers[i] != m:
                got = nmembers[i] if i < len(nmembers) else "nothing"
                problems.append("%s: member %d was %s, is %s" % (name, i, m, got))
                break
        for m in nmembers[len(members):]:
            if m[1] < size:
                problems.append("%s: new member %s inside 0.1's %d bits" % (name, m, size))
    if problems:
        fail("structs of 0.1 changed (versioned ones may only grow at the end; frozen ones not at all):\n  " + "\n  ".join(problems))
    print("%d versioned structs of 0.1 unchanged or grown at the end: %s" % (len(old), ", ".join(sorted(old))))
    print("0.1's layouts kept for compat symbols: %s" % ", ".join("%s = %s" % kv for kv in sorted(FROZEN.items())))


def main():
    lib, src = sys.argv[1], sys.argv[2]
    baseline = os.path.join(src, "abi", "libberth-0.1.abi")
    for tool in ("abidiff", "abidw", "objdump"):
        if not shutil.which(tool):
            fail("%s not found (Debian: abigail-tools, binutils; scripts/deps.sh)" % tool)
    sections = subprocess.run(["readelf", "-S", lib], check=True, capture_output=True, text=True).stdout
    if ".debug_info" not in sections:
        fail("%s has no debug info: the ABI test needs a build with -g (RelWithDebInfo or Debug)" % lib)
    check_symbols(baseline, lib)
    run_abidiff(src, baseline, lib)
    check_versioned_structs(baseline, lib)


if __name__ == "__main__":
    main()
