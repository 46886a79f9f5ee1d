#!/usr/bin/env python3
"""Writes the wrappers of the optional libraries berth dlopen()s.

    scripts/gen-dl.py LIST.dl...             writes each LIST's DIR/NAME_dl.c
    scripts/gen-dl.py --check LIST.dl...     exits 1 (and shows a diff) if a
                                             checked-in NAME_dl.c differs
    scripts/gen-dl.py --protos OUT.c LIST... writes a C file that includes the
                                             libraries' own headers and assigns
                                             every real function to a pointer
                                             of the declared type: it compiles
                                             only if the lists match the headers
    scripts/gen-dl.py --notes LIST.dl...     prints the .note.dlopen entries
                                             (JSON), one list per line

A list (lib/<area>/<name>.dl) declares one library:

    # comment
    library     libseccomp               name used in messages
    soname      libseccomp.so.2          one line per file; all are loaded
    feature     seccomp                  .note.dlopen "feature"
    priority    recommended              required | recommended | suggested
    description Compiles seccomp filters .note.dlopen "description"
    include     <seccomp.h>              the library's header (also in --protos)
    include     "security/security.h"    berth's own header (wrapper only)
    error       berth__seccomp_dl_error  the function saying why it cannot load
    fail        int -ENOSYS              what a wrapper returning int returns
                                         when the library cannot be loaded
                                         (pointers: NULL; other types: 0)
    only_if     __has_include(<x.h>)     compile the wrappers only if this
                                         preprocessor condition holds
    symbols
    scmp_filter_ctx seccomp_init(uint32_t def_action);
    int seccomp_syscall_resolve_name(const char *name) = __NR_SCMP_ERROR;
    void archive_set_error(struct archive *a, int err, const char *fmt, ...) printf;
    CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
        as berth__curl_setopt_long(long value)
        as berth__curl_setopt_ptr(const void *value);

Every prototype names its parameters. "= VALUE" overrides the failure value.
A variadic function is either "printf" (the wrapper formats the message and
passes it as "%s", so the format arguments are kept) or reached through
"as NAME(EXTRA)" entry points that call it with fixed extra arguments.
Every symbol listed must resolve, or the library is not used at all.
"""
import difflib
import json
import os
import re
import sys

HEADER_KEYS = ("library", "soname", "feature", "priority", "description", "include", "error", "fail", "only_if")


class Sym:
    def __init__(self, ret, name, params, fail, printf, aliases):
        self.ret, self.name, self.params, self.fail = ret, name, params, fail
        self.printf, self.aliases = printf, aliases


def matching_paren(text, start):
    depth = 0
    for i in range(start, len(text)):
        depth += text[i] == "("
        depth -= text[i] == ")"
        if depth == 0:
            return i
    raise ValueError("unbalanced parentheses: " + text)


def split_params(params):
    out, depth, cur = [], 0, ""
    for ch in params:
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        depth += ch in "(["
        depth -= ch in ")]"
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    return [] if out == ["void"] else out


def param_name(param, where):
    m = re.search(r"\(\s*\*\s*(\w+)\s*\)", param)
    if m:
        return m.group(1)
    toks = re.findall(r"[A-Za-z_]\w*|\*", re.sub(r"\[[^\]]*\]\s*$", "", param))
    if len(toks) < 2 or not re.match(r"[A-Za-z_]", toks[-1]):
        sys.exit("%s: parameter '%s' has no name" % (where, param))
    return toks[-1]


def parse_decl(stmt, where):
    """'RET NAME(PARAMS) [printf] [= FAIL] [as ALIAS(EXTRA)]...' -> Sym."""
    m = re.match(r"\s*(.*?)\b([A-Za-z_]\w*)\s*\(", stmt, re.S)
    if not m:
        sys.exit("%s: not a prototype: %s" % (where, stmt))
    ret, name = " ".join(m.group(1).split()), m.group(2)
    close = matching_paren(stmt, m.end() - 1)
    params = split_params(" ".join(stmt[m.end():close].split()))
    rest = stmt[close + 1:]
    aliases = []
    while True:
        a = re.search(r"\bas\s+([A-Za-z_]\w*)\s*\(", rest)
        if not a:
            break
        end = matching_paren(rest, a.end() - 1)
        aliases.append((a.group(1), split_params(" ".join(rest[a.end():end].split()))))
        rest = rest[:a.start()] + rest[end + 1:]
    printf = bool(re.search(r"\bprintf\b", rest))
    f = re.search(r"=\s*(.+?)\s*$", rest.strip())
    where = "%s: %s" % (where, name)
    for p in params[:-1] if params and params[-1] == "..." else params:
        param_name(p, where)
    for _, extra in aliases:
        for p in extra:
            param_name(p, where)
    if "..." in params and not printf and not aliases:
        sys.exit("%s: variadic: say 'printf' or give 'as NAME(...)' entry points" % where)
    return Sym(ret, name, params, f.group(1) if f else None, printf, aliases)


def parse(path):
    lib = {k: [] for k in HEADER_KEYS}
    lib["symbols"], lib["path"] = [], path
    in_syms, stmt = False, ""
    for n, line in enumerate(open(path), 1):
        line = line.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not in_syms:
            key, _, value = line.strip().partition(" ")
            if key == "symbols":
                in_syms = True
            elif key in HEADER_KEYS:
                lib[key].append(value.strip())
            else:
                sys.exit("%s:%d: unknown key '%s'" % (path, n, key))
            continue
        stmt += " " + line
        if stmt.rstrip().endswith(";"):
            lib["symbols"].append(parse_decl(stmt.rstrip()[:-1], "%s:%d" % (path, n)))
            stmt = ""
    if stmt.strip():
        sys.exit("%s: the last prototype lacks its ';'" % path)
    for k in ("library", "soname", "feature", "priority", "description", "error"):
        if not lib[k]:
            sys.exit("%s: no '%s'" % (path, k))
    if lib["priority"][0] not in ("required", "recommended", "suggested"):
        sys.exit("%s: priority must be required, recommended or suggested" % path)
    lib["fails"] = dict(f.rsplit(" ", 1) for f in lib["fail"])
    return lib


def note_json(lib):
    return json.dumps([{"soname": lib["soname"], "feature": lib["feature"][0],
                        "description": lib["description"][0], "priority": lib["priority"][0]}],
                      separators=(",", ":"))


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fail_value(lib, sym):
    if sym.fail is not None:
        return sym.fail
    if "*" in sym.ret:
        return "NULL"
    return lib["fails"].get(sym.ret, "0")


def decl(ret, name, params):
    return "%s%s%s(%s)" % (ret, "" if ret.endswith("*") else " ", name, ", ".join(params) or "void")


def call_stmt(lib, sym, args):
    """The body of a wrapper calling the real function with args."""
    call = "((%s_fn *)T[S_%s])(%s)" % (sym.name, sym.name, ", ".join(args))
    if sym.ret == "void":
        return "\tif (ready())\n\t\t%s;\n" % call
    return "\treturn ready() ? %s : %s;\n" % (call, fail_value(lib, sym))


def printf_body(lib, sym, names):
    fmt = names[-1]
    call = "((%s_fn *)T[S_%s])(%s)" % (sym.name, sym.name, ", ".join(names[:-1] + ['"%s"', "msg"]))
    fail = "" if sym.ret == "void" else " " + fail_value(lib, sym)
    out = "\tif (!ready())\n\t\treturn%s;\n" % fail
    out += "\tchar msg[BERTH__DL_FORMAT_MAX];\n\tva_list ap;\n\tva_start(ap, %s);\n" % fmt
    out += "\tvsnprintf(msg, sizeof msg, %s, ap);\n\tva_end(ap);\n" % fmt
    out += "\t%s%s;\n" % ("" if sym.ret == "void" else "return ", call)
    return out


def wrappers(lib):
    out = []
    for s in lib["symbols"]:
        fixed = [p for p in s.params if p != "..."]
        names = [param_name(p, s.name) for p in fixed]
        if s.aliases:
            for alias, extra in s.aliases:
                args = names + [param_name(p, alias) for p in extra]
                out.append("W %s\n{\n%s}\n" % (decl(s.ret, alias, fixed + extra), call_stmt(lib, s, args)))
        elif s.printf:
            out.append("W %s\n{\n%s}\n" % (decl(s.ret, s.name, s.params), printf_body(lib, s, names)))
        else:
            out.append("W %s\n{\n%s}\n" % (decl(s.ret, s.name, s.params), call_stmt(lib, s, names)))
    return out


def typedefs(lib, suffix="_fn"):
    return "".join("typedef %s;\n" % decl(s.ret, s.name + suffix, s.params) for s in lib["symbols"])


def stem(lib):
    return os.path.basename(lib["path"])[:-3]


def generate(lib):
    name = stem(lib)
    w = []
    w.append("/* SPDX-License-Identifier: LGPL-2.1-or-later\n *\n")
    w.append(" * %s, loaded on first use (lib/common/dl.h).\n" % lib["library"][0])
    w.append(" * GENERATED by scripts/gen-dl.py from %s.dl: do not edit; edit the list and\n" % name)
    w.append(" * run scripts/gen-dl.py %s (the test dl_generated checks).\n */\n" % os.path.relpath(
        lib["path"], os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")))
    w.append('#include "common/dl.h"\n')
    guard = lib["only_if"]
    for g in guard:
        w.append("#if %s\n" % g)
    for inc in lib["include"]:
        w.append("#include %s\n" % inc)
    if any(s.printf for s in lib["symbols"]):
        w.append("#include <stdarg.h>\n#include <stdio.h>\n")
    w.append("\n")
    w.append("BERTH__DL_NOTE(%s, %s);\n\n" % (name, c_string(note_json(lib))))
    w.append(typedefs(lib))
    w.append("\nenum {\n")
    w.append("".join("\tS_%s,\n" % s.name for s in lib["symbols"]))
    w.append("\tS__COUNT\n};\n\n")
    w.append("static const char *const sonames[] = { %s };\n" % ", ".join(c_string(s) for s in lib["soname"]))
    w.append("static const char *const symbols[S__COUNT] = {\n")
    w.append("".join("\t%s,\n" % c_string(s.name) for s in lib["symbols"]))
    w.append("};\n")
    w.append("static const berth__dl_spec spec = { %s, sonames, %d, symbols, S__COUNT };\n" % (
        c_string(lib["library"][0]), len(lib["soname"])))
    w.append("static void *T[S__COUNT];\n")
    w.append("static berth__dl L = BERTH__DL_INIT(spec, T);\n")
    w.append("#define ready() berth__dl_ready(&L)\n#define load_error (L.error)\n\n")
    w.append("const char *%s(void)\n{\n\treturn berth__dl_error(&L);\n}\n\n" % lib["error"][0])
    w.append("#define W BERTH_HIDDEN\n")
    w.append("".join(wrappers(lib)))
    for _ in guard:
        w.append("#endif\n")
    return "".join(w)


def output_path(lib):
    return os.path.join(os.path.dirname(lib["path"]), stem(lib) + "_dl.c")


def protos(libs):
    w = ["/* GENERATED by scripts/gen-dl.py --protos: every function a list declares,\n"
         " * assigned to a pointer of the declared type (compiled with -Werror). */\n"]
    for lib in libs:
        sysinc = [i for i in lib["include"] if i.startswith("<")]
        # a build choice (a macro) does not matter here: the headers do
        guard = [g for g in lib["only_if"] if g.startswith("__has_include")]
        for g in guard:
            w.append("#if %s\n" % g)
        w.append("".join("#include %s\n" % i for i in sysinc))
        w.append("\n/* %s */\n" % lib["library"][0])
        w.append(typedefs(lib, "_%s_fn" % stem(lib)))
        for s in lib["symbols"]:
            w.append("%s_%s_fn *const check_%s = &%s;\n" % (s.name, stem(lib), s.name, s.name))
        for _ in guard:
            w.append("#endif\n")
    return "".join(w)


def main(argv):
    mode = "write"
    if argv and argv[0] in ("--check", "--notes"):
        mode = argv.pop(0)[2:]
    elif argv and argv[0] == "--protos":
        mode, out = "protos", argv[1]
        argv = argv[2:]
    if not argv:
        sys.exit(__doc__)
    libs = [parse(p) for p in argv]
    if mode == "protos":
        with open(out, "w") as f:
            f.write(protos(libs))
        return 0
    if mode == "notes":
        for lib in libs:
            print(note_json(lib))
        return 0
    bad = 0
    for lib in libs:
        text, path = generate(lib), output_path(lib)
        if mode == "write":
            with open(path, "w") as f:
                f.write(text)
            continue
        old = open(path).read() if os.path.exists(path) else ""
        if old != text:
            bad = 1
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True), path,
                                                       path + " (generated)"))
            print("%s is not what scripts/gen-dl.py makes of %s: run scripts/gen-dl.py %s" % (
                path, lib["path"], lib["path"]))
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
