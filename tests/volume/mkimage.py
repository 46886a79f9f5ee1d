#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes a multi-layer image straight into a berth store (an OCI image
layout, docs/images.md), as a registry pull would leave it, for the tests of
volumes and of the rootfs drivers: berth unpacks the layers on first use.

    mkimage.py ROOT REF --layer TAR [--layer TAR ...] [--volume /path ...]
               [--cmd ARG ...] [--gen-layers N]

--layer: an uncompressed tar (the first one usually the busybox rootfs);
--gen-layers N: N more small layers, layer k holding /layers/k and /top
(so /top ends up with the topmost one's number); --volume: config.Volumes
entries. Prints the image's config digest.
"""
import argparse
import fcntl
import hashlib
import io
import json
import os
import tarfile
import tempfile


def put_blob(blobs, data):
    h = hashlib.sha256(data).hexdigest()
    path = os.path.join(blobs, h)
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=blobs)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.rename(tmp, path)
    return "sha256:" + h, len(data)


def gen_layer(k):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in (("layers/%d" % k, b"%d\n" % k), ("top", b"%d\n" % k)):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o644
            ti.mtime = 1700000000
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("ref")
    ap.add_argument("--layer", action="append", default=[])
    ap.add_argument("--gen-layers", type=int, default=0)
    ap.add_argument("--volume", action="append", default=[])
    ap.add_argument("--cmd", action="append", default=None)
    a = ap.parse_args()

    images = os.path.join(a.root, "images")
    blobs = os.path.join(images, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)
    layout = os.path.join(images, "oci-layout")
    if not os.path.exists(layout):
        with open(layout, "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)

    layers = []
    for path in a.layer:
        with open(path, "rb") as f:
            layers.append(f.read())
    for k in range(a.gen_layers):
        layers.append(gen_layer(k))
    descs, diff_ids = [], []
    for data in layers:
        d, n = put_blob(blobs, data)
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": n})
        diff_ids.append(d)
    cfg = {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}
    if a.volume:
        cfg["Volumes"] = {v: {} for v in a.volume}
    if a.cmd:
        cfg["Cmd"] = a.cmd
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
    config = {"architecture": arch, "os": "linux", "config": cfg,
              "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    cd, cn = put_blob(blobs, json.dumps(config).encode())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
                "layers": descs}
    md, mn = put_blob(blobs, json.dumps(manifest).encode())

    with open(os.path.join(images, ".lock"), "a+") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        ipath = os.path.join(images, "index.json")
        index = {"schemaVersion": 2, "manifests": []}
        if os.path.exists(ipath):
            with open(ipath) as f:
                index = json.load(f)
        ann = "org.opencontainers.image.ref.name"
        index["manifests"] = [m for m in index["manifests"] if m.get("annotations", {}).get(ann) != a.ref]
        index["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
                                   "size": mn, "annotations": {ann: a.ref}})
        fd, tmp = tempfile.mkstemp(dir=images)
        with os.fdopen(fd, "w") as f:
            json.dump(index, f)
        os.rename(tmp, ipath)
    print(cd)


if __name__ == "__main__":
    main()
