#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Writes the tar seeds of the layer and archive fuzz targets
# (corpus/layer/*.tar*, corpus/archive/*.tar): small layers with every entry
# type, whiteouts, xattrs and hostile names, and small `docker save` and OCI
# archives whose digests are right (so the fuzzer starts past the checks).
# Deterministic: run it again and the files are the same.
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
MTIME = 1600000000


def entry(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, **kw):
    return (name, kind, data, mode, kw)


def make_tar(entries, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for name, kind, data, mode, kw in entries:
            ti = tarfile.TarInfo(name)
            ti.type = kind
            ti.mode = mode
            ti.mtime = MTIME
            ti.uid = kw.get("uid", 0)
            ti.gid = kw.get("gid", 0)
            ti.linkname = kw.get("link", "")
            ti.devmajor, ti.devminor = kw.get("dev", (0, 0))
            if "pax" in kw:
                ti.pax_headers = kw["pax"]
            ti.size = len(data) if kind == tarfile.REGTYPE else 0
            t.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    # without the record padding: the last block, then the two zero blocks
    data = buf.getvalue().rstrip(b"\0")
    return data + b"\0" * (-len(data) % 512 + 1024)


def gz(data):
    return gzip.compress(data, mtime=0)


BASIC = [
    entry("etc/", tarfile.DIRTYPE, mode=0o755),
    entry("etc/passwd", data=b"root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n"),
    entry("etc/group", data=b"root:x:0:\nuser:x:1000:\n"),
    entry("bin/", tarfile.DIRTYPE, mode=0o755),
    entry("bin/sh", data=b"#!fake\n", mode=0o4755, uid=1, gid=2),
    entry("bin/ash", tarfile.LNKTYPE, link="bin/sh"),
    entry("usr/bin/sh", tarfile.SYMTYPE, link="/bin/sh", mode=0o777),
    entry("run/fifo", tarfile.FIFOTYPE),
    entry("var/.wh.cache", data=b""),
    entry("opt/.wh..wh..opq", data=b""),
    entry("./a//b/./c", data=b"normalised"),
]

XATTRS = [
    entry("x", data=b"x", pax={"SCHILY.xattr.user.k": "v", "SCHILY.xattr.security.capability": "\x01\x00\x00\x02",
                              "SCHILY.xattr.trusted.overlay.opaque": "y", "SCHILY.xattr.security.selinux": "l"}),
    entry("long/" + "n" * 200, data=b"long name", pax={"uid": "4294967294", "gid": "65534", "mtime": "1.5"}),
    entry("dev/null", tarfile.CHRTYPE, mode=0o666, dev=(1, 3)),
    entry("dev/loop0", tarfile.BLKTYPE, mode=0o660, dev=(7, 0)),
]

HOSTILE = [
    entry("../escape", data=b"out"),
    entry("/abs/../../x", data=b"abs"),
    entry("evil", tarfile.SYMTYPE, link="/", mode=0o777),
    entry("evil/etc/x", data=b"through the link"),
    entry("up", tarfile.SYMTYPE, link="../../..", mode=0o777),
    entry("up/y", data=b"up"),
    entry("hl", tarfile.LNKTYPE, link="../../etc/passwd"),
    entry("d/", tarfile.DIRTYPE),
    entry("d", data=b"file over dir"),
    entry(".wh.", data=b""),
    entry("evil/.wh.etc", data=b""),
]


def docker_save(layers, tags, config_name=None):
    """A docker save archive: manifest.json, a config, layer tars."""
    diff_ids = ["sha256:" + hashlib.sha256(layer).hexdigest() for layer in layers]
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Env": ["PATH=/bin", "A=b"], "Cmd": ["sh"], "WorkingDir": "/w", "User": "user",
                                    "StopSignal": "SIGINT", "ExposedPorts": {"80/tcp": {}}, "Volumes": {"/v": {}}},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}, sort_keys=True).encode()
    cname = config_name or hashlib.sha256(config).hexdigest() + ".json"
    members = [entry(cname, data=config)]
    names = []
    for i, layer in enumerate(layers):
        names.append("l%d/layer.tar" % i)
        members.append(entry("l%d/" % i, tarfile.DIRTYPE, mode=0o755))
        members.append(entry(names[-1], data=layer))
    manifest = json.dumps([{"Config": cname, "RepoTags": tags, "Layers": names}]).encode()
    members.append(entry("manifest.json", data=manifest))
    return make_tar(members, tarfile.USTAR_FORMAT)


def oci_archive(layer, ref):
    blobs = {}

    def blob(data):
        d = hashlib.sha256(data).hexdigest()
        blobs[d] = data
        return {"digest": "sha256:" + d, "size": len(data)}

    lgz = gz(layer)
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Entrypoint": ["/bin/sh", "-c"]},
                         "rootfs": {"type": "layers",
                                    "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}}).encode()
    cd = dict(blob(config), mediaType="application/vnd.oci.image.config.v1+json")
    ld = dict(blob(lgz), mediaType="application/vnd.oci.image.layer.v1.tar+gzip")
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": cd, "layers": [ld]}).encode()
    md = dict(blob(manifest), mediaType="application/vnd.oci.image.manifest.v1+json",
              annotations={"org.opencontainers.image.ref.name": ref})
    index = json.dumps({"schemaVersion": 2, "manifests": [md]}).encode()
    members = [entry("oci-layout", data=b'{"imageLayoutVersion":"1.0.0"}'), entry("index.json", data=index),
               entry("blobs/", tarfile.DIRTYPE, mode=0o755), entry("blobs/sha256/", tarfile.DIRTYPE, mode=0o755)]
    for d, data in sorted(blobs.items()):
        members.append(entry("blobs/sha256/" + d, data=data))
    return make_tar(members, tarfile.USTAR_FORMAT)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    basic = make_tar(BASIC)
    write(os.path.join(out, "layer", "basic.tar"), basic)
    write(os.path.join(out, "layer", "basic.tar.gz"), gz(basic))
    write(os.path.join(out, "layer", "gnu.tar"), make_tar(BASIC[:4], tarfile.GNU_FORMAT))
    write(os.path.join(out, "layer", "xattrs.tar"), make_tar(XATTRS))
    write(os.path.join(out, "layer", "hostile.tar"), make_tar(HOSTILE))
    write(os.path.join(out, "layer", "empty.tar"), b"\0" * 1024)
    small = make_tar([entry("f", data=b"hi"), entry("etc/passwd", data=b"user:x:7:8::/:/bin/sh\n")],
                     tarfile.USTAR_FORMAT)
    write(os.path.join(out, "archive", "docker_save.tar"), docker_save([small], ["x:1", "localhost:5000/y/z:t"]))
    write(os.path.join(out, "archive", "docker_nolayer.tar"), docker_save([], [], "config.json"))
    write(os.path.join(out, "archive", "oci.tar"), oci_archive(small, "docker.io/library/o:2"))


if __name__ == "__main__":
    main()
