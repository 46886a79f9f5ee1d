#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every function exported by lib/berth.map has a reference comment in
include/berth/*.h with a "Since:" line (docs/abi.md), and docs/reference.md
is the one this script generates from them.

A function's comment is the comment right above its declaration, or above
the group of declarations it belongs to (no blank line between them), or a
comment on the declaration's own line.

Usage: check_docs.py SOURCE_DIR            check
       check_docs.py SOURCE_DIR --write    (re)write docs/reference.md
"""
import glob
import os
import re
import sys


def exported(src):
    text = re.sub(r"/\*.*?\*/", " ", open(os.path.join(src, "lib", "berth.map")).read(), flags=re.S)
    out = {}
    for node in re.finditer(r"(BERTH_[0-9.]+)\s*\{(.*?)\}", text, flags=re.S):
        body = node.group(2).split("local:")[0]
        for name in re.findall(r"\b(berth_\w+)\s*;", body):
            out.setdefault(name, node.group(1)[len("BERTH_"):])
    return out


def declarations(src):
    """{function: (header, declaration text, comment text)}"""
    out = {}
    for h in sorted(glob.glob(os.path.join(src, "include", "berth", "*.h"))):
        lines = open(h).read().split("\n")
        comment, group = "", False
        i = 0
        while i < len(lines):
            line = lines[i]
            s = line.strip()
            if s.startswith("/*"):
                buf = [line]
                while "*/" not in lines[i] and i + 1 < len(lines):
                    i += 1
                    buf.append(lines[i])
                comment, group = "\n".join(buf), False
                i += 1
                continue
            if s.startswith("BERTH_EXTERN"):
                decl = [line]
                while ";" not in lines[i] and i + 1 < len(lines):
                    i += 1
                    decl.append(lines[i])
                d = "\n".join(decl)
                m = re.search(r"\b(berth_\w+)\s*\(", d)
                if m:
                    own = re.search(r"/\*.*?\*/", d)
                    text = comment + ("\n" + own.group(0) if own else "")
                    out[m.group(1)] = (os.path.basename(h), re.sub(r"\s*/\*.*?\*/", "", d).strip(), text)
                group = True
                i += 1
                continue
            if not s or (not group and not s.startswith("#")) or s.startswith("#define") or s.startswith("typedef") \
                    or s.startswith("}") or s.startswith("enum"):
                comment, group = "", False
            i += 1
    return out


def clean(comment):
    c = re.sub(r"^\s*/\*+|\*+/\s*$", "", comment.strip(), flags=re.M)
    return "\n".join(l.strip().lstrip("*").strip() for l in c.split("\n")).strip()


def reference(src):
    decls, exp = declarations(src), exported(src)
    out = ["# libberth reference", "",
           "Generated from the comments of include/berth/*.h by `tests/abi/check_docs.py --write`;",
           "the headers are the source. Conventions (return codes, ownership, options",
           "versions): docs/api.md and docs/abi.md.", ""]
    by_header = {}
    for name in sorted(exp):
        if name in decls:
            by_header.setdefault(decls[name][0], []).append(name)
    for h in sorted(by_header):
        out += ["## %s" % h, ""]
        for name in by_header[h]:
            _, decl, comment = decls[name]
            out += ["### %s" % name, "", "```c", " ".join(decl.split()), "```", "", clean(comment), ""]
    return "\n".join(out).rstrip() + "\n"


def main():
    src = sys.argv[1]
    ref_path = os.path.join(src, "docs", "reference.md")
    if "--write" in sys.argv[2:]:
        open(ref_path, "w").write(reference(src))
        return
    decls, exp = declarations(src), exported(src)
    problems = []
    for name, since in sorted(exp.items()):
        if name not in decls:
            problems.append("%s (BERTH_%s): not declared in include/berth" % (name, since))
            continue
        comment = decls[name][2]
        if not clean(comment):
            problems.append("%s (%s): no reference comment" % (name, decls[name][0]))
        elif not re.search(r"Since:\s*0\.[0-9]+", comment):
            problems.append("%s (%s): its comment has no \"Since:\" line" % (name, decls[name][0]))
    have = open(ref_path).read() if os.path.exists(ref_path) else ""
    if have != reference(src):
        problems.append("docs/reference.md is not what the headers say: run tests/abi/check_docs.py . --write")
    if problems:
        print("%d of %d exported functions:\n  %s" % (len(problems), len(exp), "\n  ".join(problems)))
        sys.exit(1)
    print("%d exported functions, each with a reference comment and a Since: line; docs/reference.md current"
          % len(exp))


if __name__ == "__main__":
    main()
