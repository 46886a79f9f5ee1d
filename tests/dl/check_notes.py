#!/usr/bin/env python3
"""Reads the ELF .note.dlopen entries (https://systemd.io/ELF_DLOPEN_METADATA/:
owner "FDO", type 0x407c0c0a, a zero-terminated JSON array) back from the
binaries given and checks that each names every library of the lists
lib/*/*.dl, with the fields packagers read.

    check_notes.py BINARY... -- LIST.dl...
"""
import json
import os
import struct
import subprocess
import sys

NOTE_TYPE = 0x407C0C0A


def notes(path):
    """(section name, owner, type, payload) of every note of an ELF64 LE file."""
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        sys.exit("%s: not a little-endian ELF64 file" % path)
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    strtab = sections[shstrndx]
    out = []
    for name_off, sh_type, _, _, off, size, *_ in sections:
        if sh_type != 7:  # SHT_NOTE
            continue
        sname = data[strtab[4] + name_off:data.index(b"\0", strtab[4] + name_off)].decode()
        pos, end = off, off + size
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
            pos += 12
            owner = data[pos:pos + namesz].rstrip(b"\0").decode()
            pos += (namesz + 3) & ~3
            desc = data[pos:pos + descsz]
            pos += (descsz + 3) & ~3
            out.append((sname, owner, ntype, desc))
    return out


def main():
    split = sys.argv.index("--")
    binaries, lists = sys.argv[1:split], sys.argv[split + 1:]
    gen = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "gen-dl.py")
    want = [json.loads(line)[0] for line in
            subprocess.run([sys.executable, gen, "--notes"] + lists, capture_output=True, text=True,
                           check=True).stdout.splitlines()]
    if len(want) != len(lists) or not want:
        sys.exit("gen-dl.py --notes gave %d entries for %d lists" % (len(want), len(lists)))
    bad = 0
    for b in binaries:
        found = []
        for sname, owner, ntype, desc in notes(b):
            if owner != "FDO" or ntype != NOTE_TYPE:
                continue
            if sname != ".note.dlopen":
                print("%s: a dlopen note in section %s" % (b, sname))
                bad = 1
            if not desc.endswith(b"\0"):
                print("%s: a dlopen note whose payload is not zero-terminated" % b)
                bad = 1
            for e in json.loads(desc.rstrip(b"\0").decode()):
                for k in ("soname", "feature", "description", "priority"):
                    if k not in e:
                        print("%s: dlopen note %s lacks %s" % (b, e, k))
                        bad = 1
                if e.get("priority") not in ("required", "recommended", "suggested"):
                    print("%s: dlopen note %s: bad priority" % (b, e))
                    bad = 1
                found.append(e)
        for w in want:
            if w not in found:
                print("%s: no .note.dlopen entry for %s (%s)" % (b, w["feature"], ", ".join(w["soname"])))
                bad = 1
        for f in found:
            if f not in want:
                print("%s: a .note.dlopen entry no list declares: %s" % (b, f))
                bad = 1
        if not bad:
            print("%s: %s" % (b, "; ".join("%s: %s" % (f["feature"], ", ".join(f["soname"])) for f in found)))
    return bad


if __name__ == "__main__":
    sys.exit(main())
