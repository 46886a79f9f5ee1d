#!/usr/bin/env python3
"""Pull benchmark: an image of a few hundred MB in several layers, pulled from
a local docker-registry and unpacked, three ways, on the same input in one run:

  berth     berth pull into a cold store (download, hash, decompress and
            unpack in one streaming pass, layers in parallel)
  skopeo+umoci
            skopeo copy docker://... oci:DIR, then umoci unpack
  floor     gzip -dc LAYER | tar -x of each compressed layer blob, already on
            local disk (no network, no hashing): the least any puller does

The image is made from the host's /usr (debootstrap needs the network): its
regular files and symlinks, in path order, cut into --layers layers of about
--size-mb / --layers MB each, gzip-compressed by skopeo when pushed.

Prints each run and the medians, and the ratios berth / (skopeo+umoci) and
berth / floor. Not a test: nothing here is asserted.

  bench/pull_bench.py [--size-mb 400] [--layers 6] [--runs 3] [--build DIR] [--workdir DIR]
"""
import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "python"))
import regtools  # noqa: E402


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=True, **kw)


def make_layers(work, size_mb, nlayers):
    """Tars of /usr files, about size_mb in all."""
    per = size_mb * 1e6 / nlayers
    files = []
    for d, dirs, names in os.walk("/usr"):
        dirs.sort()
        for n in sorted(names):
            p = os.path.join(d, n)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if os.path.islink(p) or (os.path.isfile(p) and os.access(p, os.R_OK)):
                files.append((p[1:], st.st_size if os.path.isfile(p) and not os.path.islink(p) else 0))
    layers, cur, cur_size = [], [], 0
    for p, s in files:
        cur.append(p)
        cur_size += s
        if cur_size >= per:
            layers.append(cur)
            cur, cur_size = [], 0
            if len(layers) == nlayers:
                break
    if cur and len(layers) < nlayers:
        layers.append(cur)
    tars = []
    for i, names in enumerate(layers):
        lst = os.path.join(work, "layer%d.list" % i)
        with open(lst, "w") as f:
            f.write("\n".join(names) + "\n")
        out = os.path.join(work, "layer%d.tar" % i)
        sh(["tar", "-C", "/", "--numeric-owner", "--no-recursion", "-cf", out, "-T", lst])
        tars.append(out)
    return tars


def layout_from_tars(d, tars):
    """An OCI layout (uncompressed layers) tagged "bench", blobs written from files."""
    os.makedirs(os.path.join(d, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(d, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')

    def blob_file(path):
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        dst = os.path.join(d, "blobs", "sha256", h.hexdigest())
        shutil.copyfile(path, dst)
        return {"digest": "sha256:" + h.hexdigest(), "size": os.path.getsize(dst)}

    def blob(data):
        dg = hashlib.sha256(data).hexdigest()
        with open(os.path.join(d, "blobs", "sha256", dg), "wb") as f:
            f.write(data)
        return {"digest": "sha256:" + dg, "size": len(data)}

    ls = [blob_file(t) for t in tars]
    cfg = {"architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/usr/bin:/bin"]},
           "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in ls]}}
    c = blob(json.dumps(cfg).encode())
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **c),
         "layers": [dict(mediaType="application/vnd.oci.image.layer.v1.tar", **l) for l in ls]}
    md = blob(json.dumps(m).encode())
    idx = {"schemaVersion": 2, "manifests": [dict(mediaType="application/vnd.oci.image.manifest.v1+json",
                                                  annotations={"org.opencontainers.image.ref.name": "bench"}, **md)]}
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump(idx, f)


def timed(fn):
    sh("sync")
    t = time.monotonic()
    fn()
    return time.monotonic() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=400)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--workdir", default="/var/tmp/berth-pull-bench")
    a = ap.parse_args()
    cli = os.path.join(a.build, "bin", "berth")
    work = a.workdir
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    reg = None
    try:
        tars = make_layers(work, a.size_mb, a.layers)
        raw = sum(os.path.getsize(t) for t in tars)
        layout_from_tars(os.path.join(work, "layout"), tars)
        for t in tars:
            os.unlink(t)
        reg = regtools.Registry(work)
        ref = "%s/bench/usr:1" % reg.addr
        regtools.skopeo_copy("oci:%s/layout:bench" % work, "docker://" + ref)
        # the compressed layer blobs, on local disk, for the floor
        regtools.skopeo_copy("docker://" + ref, "oci:%s/floor:x" % work, "--preserve-digests")
        fl = os.path.join(work, "floor")
        man = json.load(open(os.path.join(fl, "index.json")))["manifests"][0]["digest"][7:]
        man = json.load(open(os.path.join(fl, "blobs", "sha256", man)))
        blobs = [os.path.join(fl, "blobs", "sha256", l["digest"][7:]) for l in man["layers"]]
        comp = sum(os.path.getsize(b) for b in blobs)
        print("image: %d layers from /usr, %.0f MB uncompressed, %.0f MB gzip (registry %s)"
              % (len(blobs), raw / 1e6, comp / 1e6, reg.addr))

        def berth_pull():
            r = os.path.join(work, "b")
            sh([cli, "--root", r + "/root", "--run-root", r + "/run", "pull", "-q", ref], stdout=subprocess.DEVNULL)

        def skopeo_umoci():
            d = os.path.join(work, "s")
            os.makedirs(d, exist_ok=True)
            sh(["skopeo", "copy", "--quiet", "--src-tls-verify=false", "docker://" + ref, "oci:%s/oci:x" % d])
            sh(["umoci", "unpack", "--image", "%s/oci:x" % d, "%s/bundle" % d], stdout=subprocess.DEVNULL)

        def floor():
            d = os.path.join(work, "f")
            for i, b in enumerate(blobs):
                os.makedirs("%s/%d" % (d, i))
                sh("gzip -dc '%s' | tar -x -C '%s/%d'" % (b, d, i))

        ways = [("berth", berth_pull, "b"), ("skopeo+umoci", skopeo_umoci, "s"), ("floor", floor, "f")]
        times = {w: [] for w, _, _ in ways}
        for run in range(a.runs):
            for w, fn, sub in ways[run % 3:] + ways[:run % 3]:
                times[w].append(timed(fn))
                shutil.rmtree(os.path.join(work, sub), ignore_errors=True)
            print("run %d: %s" % (run + 1, "  ".join("%s %.2fs" % (w, times[w][-1]) for w, _, _ in ways)))
        med = {w: statistics.median(v) for w, v in times.items()}
        print("median: %s" % "  ".join("%s %.2fs" % (w, med[w]) for w, _, _ in ways))
        print("berth / (skopeo+umoci) = %.2f (target <= 0.33)" % (med["berth"] / med["skopeo+umoci"]))
        print("berth / floor          = %.2f (target <= 1.5)" % (med["berth"] / med["floor"]))
    finally:
        if reg:
            reg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
