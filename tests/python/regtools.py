"""Registry test tools (used by conftest.py fixtures and the registry tests):

- Registry: /usr/bin/docker-registry on a free 127.0.0.1 port with its own
  storage, optionally behind htpasswd basic auth or bearer-token auth;
- TokenServer: a token endpoint (the realm of a Bearer challenge) that checks
  basic credentials and issues RS256 JWTs signed with a key made by openssl,
  carrying the certificate in the x5c header (the registry trusts it through
  its rootcertbundle);
- FaultProxy: an HTTP proxy in front of a registry that injects faults
  (status codes, Retry-After, redirects, corrupted bodies, connection resets);
- OCI layout builders for test images (layers as tar bytes, indexes).
"""
import base64
import hashlib
import http.client
import http.server
import io
import json
import os
import platform
import re
import socket
import struct
import subprocess
import tarfile
import threading
import time
import urllib.parse
import urllib.request


# the OCI name of this machine's architecture
NATIVE_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "i686": "386", "armv7l": "arm", "ppc64le": "ppc64le",
               "s390x": "s390x", "riscv64": "riscv64"}.get(platform.machine(), platform.machine())


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _serve(server):
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    return t


# --- the registry ---

class Registry:
    """docker-registry with auth=None, ("htpasswd", user, password) or
    ("token", TokenServer)."""

    def __init__(self, tmp, auth=None):
        self.port = free_port()
        self.addr = "127.0.0.1:%d" % self.port
        self.dir = os.path.join(str(tmp), "registry-%d" % self.port)
        os.makedirs(os.path.join(self.dir, "data"))
        cfg = ["version: 0.1", "log:", "  level: error", "storage:", "  filesystem:",
               "    rootdirectory: %s/data" % self.dir, "  delete:", "    enabled: true",
               "http:", "  addr: %s" % self.addr]
        if auth and auth[0] == "htpasswd":
            pw = subprocess.run(["htpasswd", "-Bbn", auth[1], auth[2]], capture_output=True, text=True,
                                check=True).stdout.strip()
            with open(os.path.join(self.dir, "htpasswd"), "w") as f:
                f.write(pw + "\n")
            cfg += ["auth:", "  htpasswd:", "    realm: berth-test", "    path: %s/htpasswd" % self.dir]
        elif auth and auth[0] == "token":
            ts = auth[1]
            cfg += ["auth:", "  token:", "    realm: %s" % ts.realm, "    service: %s" % ts.service,
                    "    issuer: %s" % ts.issuer, "    rootcertbundle: %s" % ts.cert_path]
        path = os.path.join(self.dir, "config.yml")
        with open(path, "w") as f:
            f.write("\n".join(cfg) + "\n")
        self.log = open(os.path.join(self.dir, "registry.log"), "w")
        self.proc = subprocess.Popen(["/usr/bin/docker-registry", "serve", path], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                urllib.request.urlopen("http://%s/v2/" % self.addr, timeout=1)
                return
            except urllib.error.HTTPError:
                return  # 401: up, with auth
            except Exception:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("registry did not start: " + open(os.path.join(self.dir, "registry.log")).read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.log.close()


# --- the token endpoint ---

def _b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class TokenServer:
    """GET /token?service=...&scope=repository:a:pull,push&scope=... with
    Authorization: Basic user:pass. Known users get a token granting the
    scopes asked for; anonymous or wrong credentials get 401."""

    def __init__(self, tmp, users, readonly=()):
        self.users = dict(users)
        self.readonly = set(readonly)  # users granted only "pull"
        self.requests = []  # (user or None, [scopes])
        self.service, self.issuer = "berth-test-registry", "berth-test-issuer"
        d = os.path.join(str(tmp), "token-%d" % os.getpid())
        os.makedirs(d, exist_ok=True)
        self.key_path, self.cert_path = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self.key_path,
                        "-out", self.cert_path, "-days", "1", "-subj", "/CN=berth-test-token"],
                       check=True, capture_output=True)
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        with open(self.key_path, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), password=None)
        with open(self.cert_path, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        self.x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        owner = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                u = urllib.parse.urlparse(self.path)
                q = urllib.parse.parse_qs(u.query)
                user = None
                a = self.headers.get("Authorization", "")
                if a.startswith("Basic "):
                    try:
                        user, _, pw = base64.b64decode(a[6:]).decode().partition(":")
                    except Exception:
                        user, pw = "", ""
                    if owner.users.get(user) != pw:
                        user = "!" + user
                scopes = q.get("scope", [])
                owner.requests.append((user, scopes))
                if u.path != "/token" or not user or user.startswith("!"):
                    self.send_response(401)
                    body = b'{"details":"wrong or missing credentials"}'
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                body = json.dumps({"token": owner.token(user, scopes), "expires_in": 300}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.realm = "http://127.0.0.1:%d/token" % self.server.server_address[1]
        _serve(self.server)

    def token(self, user, scopes):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        access = []
        for s in scopes:
            typ, _, rest = s.partition(":")
            name, _, actions = rest.rpartition(":")
            acts = [a for a in actions.split(",") if a and (a == "pull" or user not in self.readonly)]
            access.append({"type": typ, "name": name, "actions": acts})
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": user, "aud": self.service, "exp": now + 300, "nbf": now - 10,
                  "iat": now, "jti": os.urandom(8).hex(), "access": access}
        head = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        signing = _b64url(json.dumps(head).encode()) + "." + _b64url(json.dumps(claims).encode())
        sig = self.key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing + "." + _b64url(sig)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# --- the fault-injecting proxy ---

class FaultProxy:
    """Forwards every request to upstream ("127.0.0.1:port"), keeping the
    Host header (so the registry's Location headers point at the proxy).
    add(method, pattern, action, times=1, **kw) injects a fault into the
    next `times` requests whose method and path (regex search) match:
      "status":   answer kw["status"] with kw.get("headers") instead;
      "redirect": answer 302 to the same path on the upstream itself;
      "corrupt":  forward, then change the last byte of the body;
      "reset":    forward, send half the body, then reset the connection;
      "delay":    wait kw["seconds"], then forward.
    log holds (method, path, status or action) of every request."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.rules = []
        self.log = []
        self.lock = threading.Lock()
        owner = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                rule = owner._match(self.command, self.path)
                action = rule["action"] if rule else None
                if action == "status":
                    st = rule["status"]
                    owner.log.append((self.command, self.path, st))
                    data = b'{"errors":[{"code":"INJECTED","message":"injected by the test"}]}'
                    self.send_response(st)
                    for k, v in rule.get("headers", {}).items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                    return
                if action == "redirect":
                    owner.log.append((self.command, self.path, 302))
                    self.send_response(302)
                    self.send_header("Location", "http://%s%s" % (owner.upstream, self.path))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if action == "delay":
                    time.sleep(rule["seconds"])
                c = http.client.HTTPConnection(owner.upstream, timeout=60)
                hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "content-length")}
                c.request(self.command, self.path, body=body if (body or self.command in ("PUT", "PATCH", "POST"))
                          else None, headers=hdrs)
                resp = c.getresponse()
                data = resp.read()
                c.close()
                owner.log.append((self.command, self.path, action or resp.status))
                if action == "corrupt" and data:
                    data = data[:-1] + bytes([data[-1] ^ 0xff])
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                        self.send_header(k, v)
                length = resp.getheader("Content-Length") if self.command == "HEAD" else str(len(data))
                if length is not None:
                    self.send_header("Content-Length", length)
                self.end_headers()
                if self.command == "HEAD":
                    return
                if action == "reset":
                    self.wfile.write(data[:len(data) // 2])
                    self.wfile.flush()
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.connection.close()
                    return
                self.wfile.write(data)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.addr = "127.0.0.1:%d" % self.server.server_address[1]
        _serve(self.server)

    def add(self, method, pattern, action, times=1, **kw):
        with self.lock:
            self.rules.append(dict(method=method, pattern=re.compile(pattern), action=action, times=times, **kw))

    def clear(self):
        with self.lock:
            self.rules = []
            self.log = []

    def _match(self, method, path):
        with self.lock:
            for r in self.rules:
                if r["times"] and r["method"] == method and r["pattern"].search(path):
                    r["times"] -= 1
                    return r
        return None

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# --- OCI layouts made by hand ---

def tar_bytes(entries):
    """entries: (name, content bytes | None for a dir | ("symlink", target)), in order."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, content in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            if content is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                t.addfile(info)
            elif isinstance(content, tuple):
                info.type, info.linkname = tarfile.SYMTYPE, content[1]
                t.addfile(info)
            else:
                info.size, info.mode = len(content), 0o644
                t.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Layout:
    """An OCI image layout being written in directory d."""

    def __init__(self, d):
        self.d = d
        os.makedirs(os.path.join(d, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(d, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
        self.index = []

    def blob(self, data):
        dg = sha(data)
        with open(os.path.join(self.d, "blobs", "sha256", dg[7:]), "wb") as f:
            f.write(data)
        return {"digest": dg, "size": len(data)}

    def image(self, layers, arch=NATIVE_ARCH, config=None):
        """layers: uncompressed tar bytes, lowest first. Returns the manifest descriptor."""
        cfg = {"architecture": arch, "os": "linux", "config": config or {"Env": ["PATH=/bin"]},
               "rootfs": {"type": "layers", "diff_ids": [sha(l) for l in layers]}}
        c = self.blob(json.dumps(cfg).encode())
        m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
             "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **c),
             "layers": [dict(mediaType="application/vnd.oci.image.layer.v1.tar", **self.blob(l)) for l in layers]}
        return dict(mediaType="application/vnd.oci.image.manifest.v1+json", **self.blob(json.dumps(m).encode()))

    def index_of(self, entries):
        """entries: (manifest descriptor, platform dict or None, annotations or None)."""
        ms = []
        for desc, plat, ann in entries:
            d = dict(desc)
            if plat:
                d["platform"] = plat
            if ann:
                d["annotations"] = ann
            ms.append(d)
        idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": ms}
        return dict(mediaType="application/vnd.oci.image.index.v1+json", **self.blob(json.dumps(idx).encode()))

    def tag(self, desc, name):
        self.index.append(dict(desc, annotations={"org.opencontainers.image.ref.name": name}))
        with open(os.path.join(self.d, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "manifests": self.index}, f)


def skopeo_copy(src, dst, *extra):
    if dst.startswith("oci:"):
        os.makedirs(dst[4:].split(":")[0], exist_ok=True)
    r = subprocess.run(["skopeo", "copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false"]
                       + list(extra) + [src, dst], capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError("skopeo copy %s %s: %s" % (src, dst, r.stderr))


# --- a hostile registry ---

class HostileRegistry:
    """A registry of one repository served from memory, that lies as told.
    images[tag] = (manifest bytes, {digest: blob bytes}); per digest,
    behave[digest] is one of:
      ("zeros",):            stream zeros without end (a 1 TiB layer);
      ("extra", n):          the blob, then n more bytes than it has;
      ("slow", chunk, secs): the blob in chunks of `chunk` bytes, `secs` apart;
    and endless_manifest=True streams a manifest that never ends.
    served[digest] counts the bytes sent of each blob; requests lists (method, path)."""

    def __init__(self):
        self.images = {}
        self.behave = {}
        self.endless_manifest = False
        self.served = {}
        self.requests = []
        owner = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # no Content-Length needed: the body ends when the connection does

            def log_message(self, *a):
                pass

            def _send(self, data, digest):
                try:
                    self.wfile.write(data)
                    self.wfile.flush()
                except OSError:
                    return False
                owner.served[digest] = owner.served.get(digest, 0) + len(data)
                return True

            def do_GET(self):
                owner.requests.append((self.command, self.path))
                m = re.match(r"^/v2/[^/]+/(manifests|blobs)/(.+)$", self.path)
                if self.path == "/v2/" or not m:
                    self.send_response(200 if self.path == "/v2/" else 404)
                    self.end_headers()
                    return
                kind, ref = m.groups()
                if kind == "manifests":
                    if owner.endless_manifest:
                        self.send_response(200)
                        self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                        self.end_headers()
                        if not self._send(b'{"schemaVersion": 2, "x": "', "manifest"):
                            return
                        while self._send(b"a" * 65536, "manifest"):
                            pass
                        return
                    body = None
                    for mbytes, _ in owner.images.values():
                        if ref == sha(mbytes):
                            body = mbytes
                    if ref in owner.images:
                        body = owner.images[ref][0]
                    if body is None:
                        self.send_response(404)
                        self.end_headers()
                        return
                    self.send_response(200)
                    self.send_header("Content-Type", json.loads(body).get("mediaType", ""))
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                blob = None
                for _, blobs in owner.images.values():
                    blob = blobs.get(ref, blob)
                how = owner.behave.get(ref, ("plain",))
                if blob is None and how[0] != "zeros":
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.end_headers()
                if how[0] == "zeros":
                    while self._send(bytes(1 << 20), ref):
                        pass
                elif how[0] == "extra":
                    data = blob + bytes(how[1])
                    for i in range(0, len(data), 65536):
                        if not self._send(data[i:i + 65536], ref):
                            return
                elif how[0] == "slow":
                    for i in range(0, len(blob), how[1]):
                        if not self._send(blob[i:i + how[1]], ref):
                            return
                        time.sleep(how[2])
                else:
                    self._send(blob, ref)

            do_HEAD = do_GET

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.addr = "127.0.0.1:%d" % self.server.server_address[1]
        _serve(self.server)

    def add_image(self, tag, layers, declared=None):
        """layers: uncompressed tar bytes; declared: {layer index: size to declare}
        (a lie). Returns (manifest bytes, layer digests)."""
        cfg = json.dumps({"architecture": NATIVE_ARCH, "os": "linux", "config": {"Env": ["PATH=/bin"]},
                          "rootfs": {"type": "layers", "diff_ids": [sha(l) for l in layers]}}).encode()
        blobs = {sha(cfg): cfg}
        descs = []
        for i, l in enumerate(layers):
            blobs[sha(l)] = l
            descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha(l),
                          "size": (declared or {}).get(i, len(l))})
        m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(cfg),
                                   "size": len(cfg)},
                        "layers": descs}).encode()
        self.images[tag] = (m, blobs)
        return m, [d["digest"] for d in descs]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
