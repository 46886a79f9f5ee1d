# SPDX-License-Identifier: LGPL-2.1-or-later
"""berth.Spec: a container's configuration (an OCI runtime-spec config.json)."""

from __future__ import annotations

import json
import os
import threading
from ctypes import byref, c_uint32, c_void_p

from . import errors
from ._handle import Handle
from ._lib import SpecP, dec, enc, lib, strv, take_string

# typing only for type checkers: importing it costs `import berth` ~10 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Optional, Sequence, Union
    from ._types import Args, Env, PathArg, Ports, User
    from .net import Port
    from .image import Image

_MISSING = object()


def _ns_type(t):
    if isinstance(t, str):
        from .namespace import type_from_name
        return type_from_name(t)
    return int(t)


def parse_user(user):
    """uid, "uid", "uid:gid" or (uid, gid) -> (uid, gid). A uid alone gets gid 0
    (as Docker does for a uid without a passwd entry; names are looked up by
    Spec.set_user_name, which Context.run(user="name") uses)."""
    if isinstance(user, bool):
        raise TypeError("user must be a uid, 'uid:gid' or (uid, gid)")
    if isinstance(user, int):
        return user, 0
    if isinstance(user, (tuple, list)) and len(user) == 2:
        return int(user[0]), int(user[1])
    if isinstance(user, bytes):
        user = user.decode()
    if isinstance(user, str):
        parts = user.split(":")
        try:
            if len(parts) == 1:
                return int(parts[0]), 0
            if len(parts) == 2:
                return int(parts[0]), int(parts[1])
        except ValueError:
            pass
        raise errors.InvalidArgument(errors.EINVAL, 0,
                                     "user %r: must be numeric UID or UID:GID (names: Spec.set_user_name)" % user)
    raise TypeError("user must be a uid, 'uid:gid' or (uid, gid), not %s" % type(user).__name__)


class Spec(Handle):
    _FREE = "berth_spec_free"

    """A container configuration. ``Spec()`` has berth's (Docker's) defaults.

    Setters return the spec so calls can be chained. A Spec is not shared
    between threads by libberth; the bindings serialise calls on one Spec with
    a lock, so sharing one is safe (but slower than one per thread).
    """

    def __init__(self, _handle: Any = None) -> None:
        self._lock = threading.RLock()
        if _handle is None:
            h = SpecP()
            lib.berth_spec_new(byref(h))
            _handle = h
        self._h = _handle

    # --- construction ---
    @classmethod
    def _wrap(cls, handle):
        return cls(_handle=handle)

    @classmethod
    def from_json(cls, text: Union[str, bytes]) -> Spec:
        """Parses config.json text (str or bytes)."""
        data = enc(text)
        h = SpecP()
        lib.berth_spec_parse(byref(h), data, len(data))
        return cls._wrap(h)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> Spec:
        return cls.from_json(json.dumps(d))

    @classmethod
    def load(cls, path: str) -> Spec:
        """Reads a config.json file."""
        h = SpecP()
        lib.berth_spec_load(byref(h), enc(path))
        return cls._wrap(h)

    def copy(self) -> Spec:
        with self._lock:
            h = SpecP()
            lib.berth_spec_copy(byref(h), self._handle())
        return self._wrap(h)

    __copy__ = copy

    def __deepcopy__(self, memo):
        return self.copy()

    # --- lifetime ---
    def _handle(self):
        h = self._h
        if not h:
            raise errors.StateError(errors.ESTATE, 0, "spec is closed")
        return h

    def set_image(self, image: Image, entrypoint: Optional[str] = None, cmd: Optional[Args] = None) -> Spec:
        """Runs a berth.Image as `docker run` would: its layers as the root
        filesystem, its Env/WorkingDir/User/StopSignal, and entrypoint + cmd
        (entrypoint None keeps the image's, "" clears it; cmd None: the image's Cmd)."""
        argv = None if cmd is None else strv([cmd] if isinstance(cmd, (str, bytes)) else list(cmd))
        self._call(lib.berth_spec_set_image, image._handle(), enc(entrypoint) if entrypoint is not None else None,
                   argv)
        return self

    def close(self) -> None:
        """Frees the C spec. Further use raises StateError."""
        with self._lock:
            h, self._h = self._h, None
            if h:
                lib.berth_spec_free(h)

    def _call(self, fn, *args):
        with self._lock:
            fn(self._handle(), *args)
        return self

    # --- serialisation ---
    def validate(self) -> Spec:
        """Checks every field berth uses; InvalidArgument naming the field."""
        return self._call(lib.berth_spec_validate)

    def to_json(self) -> str:
        """The config.json text (pretty-printed)."""
        p = c_void_p()
        with self._lock:
            lib.berth_spec_to_json(byref(p), self._handle())
        return take_string(p).decode("utf-8", "surrogateescape")

    def to_dict(self) -> Dict[str, Any]:
        return json.loads(self.to_json())

    def save(self, path: str) -> Spec:
        """Writes config.json atomically."""
        with self._lock:
            lib.berth_spec_save(self._handle(), enc(path))
        return self

    def get(self, pointer: str, default: Any = _MISSING) -> Any:
        """A field by JSON pointer ("/process/args") as a Python value.
        NotFound if absent, unless a default is given."""
        p = c_void_p()
        try:
            with self._lock:
                lib.berth_spec_get(byref(p), self._handle(), enc(pointer))
        except errors.NotFound:
            if default is _MISSING:
                raise
            return default
        return json.loads(take_string(p))

    def __repr__(self):
        if not self._h:
            return "<berth.Spec (closed)>"
        try:
            return "<berth.Spec args=%r rootfs=%r>" % (self.args, self.get("/root/path", None))
        except errors.BerthError:
            return "<berth.Spec>"

    # --- process ---
    @property
    def args(self) -> List[str]:
        return self.get("/process/args", [])

    @args.setter
    def args(self, argv: Sequence[str]) -> None:
        self.set_args(argv)

    def set_args(self, argv: Sequence[Union[str, bytes]]) -> Spec:
        if isinstance(argv, (str, bytes)):
            raise TypeError("args must be a list of strings, not a string")
        a = strv(argv)
        return self._call(lib.berth_spec_set_args, a)

    @property
    def env(self) -> List[str]:
        """The environment as a list of "K=V" strings."""
        return self.get("/process/env", [])

    @env.setter
    def env(self, env: Env) -> None:
        self.set_env(env)

    def env_dict(self) -> Dict[str, str]:
        return {k: v for k, _, v in (kv.partition("=") for kv in self.env)}

    @staticmethod
    def _env_items(env):
        if isinstance(env, dict):
            return ["%s=%s" % (k, v) for k, v in env.items()]
        if isinstance(env, (str, bytes)):
            raise TypeError("env must be a dict or a list of 'K=V' strings")
        return list(env)

    def set_env(self, env: Env) -> Spec:
        """Replaces the whole environment (dict or list of "K=V")."""
        a = strv(self._env_items(env))
        return self._call(lib.berth_spec_set_env, a)

    def setenv(self, key: Union[str, bytes], value: Optional[str] = None) -> Spec:
        """setenv("K=V") or setenv("K", "V"): sets one variable, replacing K."""
        if value is not None:
            key = "%s=%s" % (key if isinstance(key, str) else key.decode(), value)
        return self._call(lib.berth_spec_setenv, enc(key))

    def update_env(self, env: Env) -> Spec:
        """Sets several variables (dict or list of "K=V"), keeping the others."""
        for kv in self._env_items(env):
            self.setenv(kv)
        return self

    def set_cwd(self, cwd: str) -> Spec:
        return self._call(lib.berth_spec_set_cwd, enc(cwd))

    def set_user(self, uid: User, gid: Optional[int] = None, additional_gids: Iterable[int] = ()) -> Spec:
        """set_user(1000, 1000), set_user("1000:1000"), set_user((1000, 1000))."""
        if gid is None:
            uid, gid = parse_user(uid)
        gids = list(additional_gids or ())
        arr = (c_uint32 * len(gids))(*gids) if gids else None
        return self._call(lib.berth_spec_set_user, uid, gid, arr, len(gids))

    def set_user_name(self, user: Union[str, bytes], root: Any = None) -> Spec:
        """process.user from "NAME[:GROUP]" or "UID[:GID]" (docker run -u),
        names looked up in the container's /etc/passwd and /etc/group:
        root is a rootfs directory, a list of directories lowest first (an
        image's layers: whiteouts and opaque directories are honoured), or
        an Image (its layer directories). Without root only numeric ids
        resolve. Raises InvalidArgument for an unknown user or group."""
        if root is None:
            dirs = None
        elif isinstance(root, (str, bytes, os.PathLike)):
            dirs = strv([os.fspath(root)])
        elif hasattr(root, "layer_dirs"):
            dirs = strv(root.layer_dirs())
        else:
            dirs = strv([os.fspath(d) for d in root])
        return self._call(lib.berth_spec_set_user_name, dirs, enc(user))

    def set_terminal(self, on: bool = True) -> Spec:
        return self._call(lib.berth_spec_set_terminal, 1 if on else 0)

    def set_rlimit(self, type: str, soft: int, hard: Optional[int] = None) -> Spec:
        """type: "RLIMIT_NOFILE" or "nofile"; hard defaults to soft."""
        return self._call(lib.berth_spec_set_rlimit, enc(type), soft, soft if hard is None else hard)

    def set_no_new_privileges(self, on: bool = True) -> Spec:
        return self._call(lib.berth_spec_set_no_new_privileges, 1 if on else 0)

    def set_oom_score_adj(self, adj: int) -> Spec:
        return self._call(lib.berth_spec_set_oom_score_adj, adj)

    @staticmethod
    def _names(caps):
        return [caps] if isinstance(caps, (str, bytes)) else list(caps)

    def cap_add(self, *caps: Union[str, Iterable[str]]) -> Spec:
        """cap_add("NET_ADMIN"), cap_add("CAP_SYS_TIME", "NET_RAW"), cap_add(["ALL"])."""
        for group in caps:
            for c in self._names(group):
                self._call(lib.berth_spec_cap_add, enc(c))
        return self

    def cap_drop(self, *caps: Union[str, Iterable[str]]) -> Spec:
        for group in caps:
            for c in self._names(group):
                self._call(lib.berth_spec_cap_drop, enc(c))
        return self

    # --- root, hostname, mounts ---
    def set_rootfs(self, path: PathArg, readonly: bool = False) -> Spec:
        return self._call(lib.berth_spec_set_rootfs, enc(path), 1 if readonly else 0)

    def set_hostname(self, hostname: str) -> Spec:
        return self._call(lib.berth_spec_set_hostname, enc(hostname))

    def add_mount(self, destination: str, type: str, source: Optional[str] = None,
                  options: Optional[Sequence[str]] = None) -> Spec:
        """A mount: add_mount("/tmp", "tmpfs", "tmpfs", ["nosuid", "size=64m"])."""
        opts = strv(options) if options is not None else None
        return self._call(lib.berth_spec_add_mount, enc(destination), enc(type), enc(source), opts)

    def add_bind(self, source: PathArg, destination: str, readonly: bool = False) -> Spec:
        return self._call(lib.berth_spec_add_bind, enc(source), enc(destination), 1 if readonly else 0)

    def add_volume(self, arg: Union[str, bytes]) -> Spec:
        """A Docker volume argument "SRC:DST[:ro|rw]"."""
        return self._call(lib.berth_spec_add_volume_arg, enc(arg))

    add_volume_arg = add_volume

    def add_named_volume(self, name: Union[str, bytes, None], destination: str, readonly: bool = False) -> Spec:
        """A volume (docs/volumes.md) at destination; name None: an anonymous
        one. Created if missing and seeded from the image when empty, at create."""
        return self._call(lib.berth_spec_add_volume, enc(name) if name else None, enc(destination),
                          1 if readonly else 0)

    # --- namespaces ---
    def set_namespace(self, type: Union[int, str], path: Optional[PathArg] = None) -> Spec:
        """Adds (or replaces) a namespace; type: berth.namespace.NS_* or a name
        ("network"); path None creates a new one, a path joins it."""
        return self._call(lib.berth_spec_set_namespace, _ns_type(type), enc(path))

    def remove_namespace(self, type: Union[int, str]) -> Spec:
        return self._call(lib.berth_spec_remove_namespace, _ns_type(type))

    # --- network (berth.net) ---
    def set_network(self, mode: str) -> Spec:
        """"none", "host", "bridge", "container:ID" or a created network's name."""
        return self._call(lib.berth_spec_set_network, enc(mode))

    def add_port(self, port: Ports) -> None:
        """Publishes ports: "8080:80", a berth.net.Port or (host, container[, proto]);
        a string with a range publishes every port of it."""
        from . import net
        for p in net.to_ports(port):
            with p._to_c() as c:
                self._call(lib.berth_spec_add_port, c)

    @property
    def network(self) -> str:
        """The network mode set with set_network() ("none" when unset)."""
        with self._lock:
            return dec(lib.berth_spec_network(self._handle()))

    @property
    def ports(self) -> List[Port]:
        """The published ports as given: [berth.net.Port] (host port 0 or a
        pool until create)."""
        from . import net
        from ._lib import PortListP
        out = PortListP()
        with self._lock:
            lib.berth_spec_ports(byref(out), self._handle())
        return net._take_ports(out)

    @property
    def image(self) -> Optional[str]:
        """The id of the image set with set_image(), or None."""
        with self._lock:
            return dec(lib.berth_spec_image(self._handle())) or None

    def set_dns(self, servers: Optional[Sequence[str]]) -> Spec:
        """DNS servers for /etc/resolv.conf (None: the host's)."""
        if servers is None:
            return self._call(lib.berth_spec_set_dns, None)
        if isinstance(servers, (str, bytes)):
            servers = [servers]
        arr = strv(servers)
        return self._call(lib.berth_spec_set_dns, arr)

    def add_id_mapping(self, container_id: int, host_id: int, size: int, gid: bool = False) -> Spec:
        """A user-namespace mapping (uid, or gid with gid=True); adds a user
        namespace if the spec has none."""
        return self._call(lib.berth_spec_add_id_mapping, 1 if gid else 0, container_id, host_id, size)

    def add_uid_mapping(self, container_id: int, host_id: int, size: int) -> Spec:
        return self.add_id_mapping(container_id, host_id, size, gid=False)

    def add_gid_mapping(self, container_id: int, host_id: int, size: int) -> Spec:
        return self.add_id_mapping(container_id, host_id, size, gid=True)

    # --- security ---
    def set_seccomp(self, profile: Union[None, str, Dict[str, Any]] = "default") -> Spec:
        """None or "unconfined": no seccomp. "default": the default profile for
        the current capabilities. A dict, or a str/bytes starting with "{":
        an OCI or Docker seccomp JSON object. Anything else: a profile file."""
        if profile is None or profile == "unconfined":
            return self._call(lib.berth_spec_set_seccomp_json, None)
        if isinstance(profile, str) and profile == "default":
            return self._call(lib.berth_spec_set_seccomp_default)
        if isinstance(profile, dict):
            return self._call(lib.berth_spec_set_seccomp_json, enc(json.dumps(profile)))
        if isinstance(profile, (str, bytes)) and profile.lstrip()[:1] in ("{", b"{"):
            return self._call(lib.berth_spec_set_seccomp_json, enc(profile))
        return self._call(lib.berth_spec_set_seccomp_file, enc(profile))

    def set_seccomp_default(self) -> Spec:
        return self._call(lib.berth_spec_set_seccomp_default)

    def set_privileged(self, on: bool = True) -> Spec:
        return self._call(lib.berth_spec_set_privileged, 1 if on else 0)

    def set_sysctl(self, key: str, value: Any) -> Spec:
        return self._call(lib.berth_spec_set_sysctl, enc(key), enc(str(value)))

    def set_annotation(self, key: str, value: str) -> Spec:
        return self._call(lib.berth_spec_set_annotation, enc(key), enc(value))

    # --- resources (cgroups) ---
    def set_resources(self, res: Any = None, **kwargs: Any) -> Spec:
        """Sets linux.resources from keywords (memory="512m", memory_swap,
        memory_reservation, cpus=0.5, cpu_shares, cpu_quota, cpu_period,
        cpuset_cpus="0-1", cpuset_mems, pids_limit, blkio_weight; see
        berth.cgroup.resources()) or a berth._lib.CgroupResources. Fields not
        given keep their value. InvalidArgument naming the field."""
        from . import cgroup
        cgroup.check_keywords(kwargs, "set_resources")
        r = cgroup.resources_from(res, **kwargs)
        return self._call(lib.berth_spec_set_resources, byref(r))

    def set_cgroup_parent(self, parent: str) -> Spec:
        """The parent of the container's cgroup in every hierarchy ("berth"
        by default; no ".."), e.g. "berth/jobs"."""
        return self._call(lib.berth_spec_set_cgroup_parent, enc(parent))


__all__ = ["Spec", "parse_user"]
