#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks that the areas of the library (lib/<area>/) include each other
without cycles (docs/layout.md: "Areas depend downward only").

The graph is derived from the #include "..." lines of lib/<area>/*.c and *.h:
an include of "<other>/x.h" or "../<other>/x.h" (an existing lib/<other>/
directory) is an edge area -> other. lib/internal.h and lib/common/ are the
bottom layer ("common"); lib/*.c (lib/wiring.c: the areas above plugged into
the hooks of those below) belong to no area and may include any. Every cycle of that graph (each strongly connected
component with more than one area) is printed with the includes that make it;
the exit status is 1 when there is one that the allow-list does not name.

  check-layers.py [--lib DIR] [--allow FILE] [--graph]

--allow FILE: known cycles (default: scripts/check-layers.allow; "" for none), one a line as "a b" (the areas of one cycle, any
order; '#' starts a comment). A listed cycle is reported but does not fail;
a listed cycle that is gone is reported too, so the list gets emptied.
--graph: prints the edges (area -> areas it includes) as well.
"""
import argparse
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def areas_of(lib):
    return sorted(d for d in os.listdir(lib) if os.path.isdir(os.path.join(lib, d)))


def target_area(inc, areas):
    """The area an include names, or None (a file of the same area, a system header)."""
    parts = [p for p in inc.split("/") if p not in ("", ".")]
    while parts and parts[0] == "..":
        parts.pop(0)
    if inc == "internal.h" or inc == "../internal.h":
        return "common"
    if len(parts) >= 2 and parts[0] in areas:
        return parts[0]
    return None


def include_graph(lib):
    """{area: {other: [(file, include), ...]}}"""
    areas = areas_of(lib)
    graph = {a: {} for a in areas}
    for a in areas:
        d = os.path.join(lib, a)
        for name in sorted(os.listdir(d)):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(d, name)
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            for inc in INCLUDE.findall(text):
                b = target_area(inc, areas)
                if b and b != a:
                    graph[a].setdefault(b, []).append((f"lib/{a}/{name}", inc))
    return graph


def components(graph):
    """Strongly connected components (Tarjan), each sorted; only those of 2+ areas."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, {})):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def load_allow(path):
    allowed = []
    if not path:
        return allowed
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if line:
                allowed.append(sorted(line))
    return allowed


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lib", default=os.path.join(here, "..", "lib"))
    ap.add_argument("--allow", default=os.path.join(here, "check-layers.allow"))
    ap.add_argument("--graph", action="store_true")
    args = ap.parse_args()

    graph = include_graph(args.lib)
    if args.graph:
        for a in sorted(graph):
            print(f"{a} -> {' '.join(sorted(graph[a])) or '(nothing)'}")
    allowed = load_allow(args.allow)
    failed = False
    cycles = components(graph)
    for comp in cycles:
        known = comp in allowed
        failed |= not known
        print(f"{'known cycle (allow-list)' if known else 'CYCLE'}: {' <-> '.join(comp)}")
        for a in comp:
            for b in sorted(graph[a]):
                if b in comp:
                    for f, inc in graph[a][b]:
                        print(f"  {a} -> {b}: {f} includes \"{inc}\"")
    for comp in allowed:
        if comp not in cycles:
            print(f"allow-list: {' <-> '.join(comp)} is no longer a cycle: remove it from {args.allow}")
    if not cycles:
        print(f"no cycles between the {len(graph)} areas of {os.path.normpath(args.lib)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
