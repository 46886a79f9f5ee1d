# SPDX-License-Identifier: LGPL-2.1-or-later
"""berth.Context: state roots, logging, and the high-level run()/create()."""

from __future__ import annotations

import os
import signal as _signal
import threading
import weakref
from ctypes import byref, c_char_p, c_uint64, c_void_p

from . import _lib, errors
from ._handle import Handle
from ._lib import (CTX_OPTIONS_VERSION, CREATE_OPTIONS_VERSION, CREATE_DETACH, CREATE_REMOVE, LOG_CB, LOG_WARN,
                   SIZE_UNLIMITED, STDIO_FDS, STDIO_LOG, STDIO_TERMINAL, ContainerP, CreateOptions, CtxOptions, CtxP,
                   dec, enc, lib, take_strv)
from . import cgroup as _cgroup
from .container import CompletedContainer, Container, _Stdio
from .namespace import NS_NET
from .spec import Spec
from . import image as _image
from . import volume as _volume

# typing only for type checkers: importing it costs `import berth` ~10 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union
    from ._types import Args, Env, Mount, PathArg, Ports, Progress, Size, Stdio, User


class _Unset:
    def __repr__(self):
        return "<unset>"


UNSET = _Unset()


def _abspath(p):
    if p is None:
        return None
    return os.path.abspath(os.fsdecode(p))


def _is_user_name(user):
    """A user given by name ("nobody", "bob:staff", "1000:staff"), looked up
    in the container's /etc/passwd and /etc/group (Spec.set_user_name)."""
    if isinstance(user, bytes):
        user = user.decode()
    return isinstance(user, str) and not all(p.isdigit() for p in user.split(":", 1))


class Context(Handle):
    _FREE = "berth_ctx_free"

    """A libberth context: where state lives and where log messages go.

    ``Context(root=None, run_root=None, log=None, log_level=berth.LOG_WARN,
    monitor_path=None, max_blob_size=None, max_image_size=None)``. root
    defaults to $BERTH_ROOT or /var/lib/berth, run_root to $BERTH_RUN_ROOT or
    /run/berth. max_blob_size and max_image_size (bytes) bound what a pull
    may store: None takes $BERTH_MAX_BLOB_SIZE / $BERTH_MAX_IMAGE_SIZE, else
    no limit; berth.SIZE_UNLIMITED means none whatever the environment says.
    log is a callable
    ``log(level, message)``, called from whichever thread the library logs on;
    it must not call into berth.

    A Context may be used from several threads at once. Closing it closes the
    Container handles made from it (the containers go on).
    """

    def __init__(self, root: Optional[PathArg] = None, run_root: Optional[PathArg] = None,
                 log: Optional[Callable[[int, str], Any]] = None, log_level: Optional[int] = None,
                 monitor_path: Optional[PathArg] = None, max_blob_size: Optional[int] = None,
                 max_image_size: Optional[int] = None) -> None:
        self._lock = threading.Lock()
        self._containers: weakref.WeakSet[Container] = weakref.WeakSet()
        self._h = None
        self._log = log
        self._log_cb = None
        opts = CtxOptions()
        lib.berth_ctx_options_init(byref(opts), CTX_OPTIONS_VERSION)
        opts.root = enc(_abspath(root))
        opts.run_root = enc(_abspath(run_root))
        opts.monitor_path = enc(_abspath(monitor_path))
        opts.max_blob_size = max_blob_size or 0
        opts.max_image_size = max_image_size or 0
        if log is not None:
            self._log_cb = LOG_CB(self._on_log)
            opts.log_cb = self._log_cb
        opts.log_level = LOG_WARN if log_level is None else int(log_level)
        h = CtxP()
        lib.berth_ctx_new(byref(h), byref(opts))
        self._h = h

    def _on_log(self, level, message, payload):
        try:
            self._log(level, dec(message))
        except Exception:
            pass  # never unwind through C

    # --- lifetime ---
    def _handle(self):
        h = self._h
        if not h:
            raise errors.StateError(errors.ESTATE, 0, "context is closed")
        return h

    def _track(self, c):
        with self._lock:
            self._containers.add(c)

    def _untrack(self, c):
        with self._lock:
            self._containers.discard(c)

    def close(self) -> None:
        """Closes the Container handles made from this context, then frees it."""
        with self._lock:
            cs = list(self._containers)
        for c in cs:
            c.close()
        with self._lock:
            h, self._h = self._h, None
        if h:
            lib.berth_ctx_free(h)


    def __repr__(self):
        if not self._h:
            return "<berth.Context (closed)>"
        return "<berth.Context root=%r run_root=%r>" % (self.root, self.run_root)

    @property
    def root(self) -> str:
        return dec(lib.berth_ctx_root(self._handle()))

    @property
    def run_root(self) -> str:
        return dec(lib.berth_ctx_run_root(self._handle()))

    @property
    def max_blob_size(self) -> Optional[int]:
        """The largest blob a pull may store, in bytes; None: no limit."""
        v = lib.berth_ctx_max_blob_size(self._handle())
        return None if v == SIZE_UNLIMITED else v

    @property
    def max_image_size(self) -> Optional[int]:
        """The largest image (config and layers) a pull may store, in bytes; None: no limit."""
        v = lib.berth_ctx_max_image_size(self._handle())
        return None if v == SIZE_UNLIMITED else v

    # --- containers ---
    def container(self, id_or_name: str) -> Container:
        """Opens an existing container by id, unique id prefix or name."""
        h = ContainerP()
        lib.berth_container_open(byref(h), self._handle(), enc(id_or_name))
        return Container(self, h)

    # --- networks (berth.net) ---
    def networks(self) -> List[str]:
        """Names of every network: "bridge", "host", "none" and the created ones."""
        out = c_void_p()
        lib.berth_network_list(byref(out), self._handle())
        return [dec(n) for n in take_strv(out)]

    def network(self, name: str) -> Dict[str, Any]:
        """A network as a dict: name, id, driver, subnet, gateway, bridge,
        containers [{id, name, address, mac}]. berth.NotFound if unknown."""
        from . import net
        return net.network_inspect(self._handle(), name)

    def create_network(self, name: str, subnet: Optional[str] = None, gateway: Optional[str] = None,
                       bridge: Optional[str] = None) -> Dict[str, Any]:
        """A bridge network (subnet: IPv4 CIDR, default the next free
        10.89.N.0/24). berth.Exists, berth.InvalidArgument for a subnet that
        overlaps another network or a route of the host. Returns network(name)."""
        o = _lib.NetworkOptions()
        lib.berth_network_options_init(byref(o), _lib.NETWORK_OPTIONS_VERSION)
        o.subnet, o.gateway, o.bridge = enc(subnet), enc(gateway), enc(bridge)
        lib.berth_network_create(self._handle(), enc(name), byref(o))
        return self.network(name)

    def remove_network(self, name: str) -> None:
        """Removes a created network and its bridge (berth.Busy while in use)."""
        lib.berth_network_remove(self._handle(), enc(name))

    def container_ids(self) -> List[str]:
        """The ids of every container."""
        p = c_void_p()
        lib.berth_container_list(byref(p), self._handle())
        return [dec(b) for b in take_strv(p)]

    def containers(self) -> List[Container]:
        """Every container, opened (ones deleted meanwhile are left out)."""
        out = []
        for cid in self.container_ids():
            try:
                out.append(self.container(cid))
            except errors.NotFound:
                pass
        return out

    # --- building a spec from keyword arguments ---
    # --- images ---
    def pull(self, ref: str, platform: Optional[str] = None, tls_verify: bool = True, username: Optional[str] = None,
             password: Optional[str] = None, progress: Optional[Progress] = None) -> _image.Image:
        """Pulls ref from its registry into the store: a berth.Image.
        progress(digest, status, done, total) is called from this thread;
        status is "resolving", "waiting", "downloading", "extracting",
        "done" or "exists". progress returning True (or raising) stops the
        pull: berth.Canceled, the store left as before."""
        return _image.pull(self._handle(), ref, platform, tls_verify, username, password, progress)

    def build(self, context: PathArg, tag: Union[None, str, Sequence[str]] = None, dockerfile: Optional[str] = None,
              build_args: Union[None, Mapping[str, str], Sequence[str]] = None, target: Optional[str] = None,
              no_cache: bool = False, pull: bool = False, platform: Optional[str] = None, tls_verify: bool = True,
              dockerfile_text: Optional[str] = None, output: Optional[Callable[[str, str], Any]] = None,
              cancel: Any = None) -> _image.Image:
        """Builds an image from a Dockerfile (berth.build.build): a berth.Image
        with build_output, build_steps_run and build_steps_cached. tag: a
        reference or a list of them; build_args: a dict or "K=V" strings;
        cancel: a threading.Event that cancels the build once set (from
        another thread or the output callback). output returning True (or
        raising) stops the build: berth.Canceled."""
        from . import build as _build
        return _build.build(self._handle(), context, tag=tag, dockerfile=dockerfile, dockerfile_text=dockerfile_text,
                            build_args=build_args, target=target, no_cache=no_cache, pull=pull, platform=platform,
                            tls_verify=tls_verify, output=output, cancel=cancel)
    def push(self, name: Union[str, _image.Image], dest: Optional[str] = None, tls_verify: bool = True,
             username: Optional[str] = None, password: Optional[str] = None, chunk_size: int = 0,
             mount_from: Optional[str] = None, progress: Optional[Progress] = None) -> str:
        """Pushes the image name (reference, id or berth.Image) to dest (default: name) and
        returns the manifest digest. chunk_size > 0 uploads in PATCH chunks;
        mount_from names a repository of the same registry to mount blobs
        from. progress(digest, status, done, total): status is "preparing",
        "waiting", "uploading", "done", "exists" or "mounted"; returning True
        (or raising) stops the push: berth.Canceled."""
        if isinstance(name, _image.Image):
            name = name.id
        return _image.push(self._handle(), name, dest, tls_verify, username, password, chunk_size, mount_from,
                           progress)

    def login(self, registry: str, username: str, password: str, tls_verify: bool = True) -> None:
        """Checks the credentials against registry and stores them in the
        Docker config file (berth.AuthError if the registry refuses)."""
        lib.berth_registry_login(self._handle(), enc(registry), enc(username), enc(password), 1 if tls_verify else 0)

    def logout(self, registry: str) -> None:
        lib.berth_registry_logout(self._handle(), enc(registry))

    def save_images(self, names: Union[str, _image.Image, Sequence[Union[str, _image.Image]]], path: str,
                    format: str = "docker") -> None:
        """Writes the images (references, ids or berth.Image) to the tar file path, as
        "docker save" does (format="docker") or as an OCI layout
        (format="oci-archive")."""
        fmt = {"docker": _lib.ARCHIVE_DOCKER, "oci-archive": _lib.ARCHIVE_OCI, "oci": _lib.ARCHIVE_OCI}.get(format)
        if fmt is None:
            raise ValueError("format must be 'docker' or 'oci-archive'")
        if isinstance(names, (str, _image.Image)):
            names = [names]
        names = [n.id if isinstance(n, _image.Image) else n for n in names]
        arr = (c_char_p * (len(names) + 1))(*[enc(n) for n in names], None)
        tmp = "%s.tmp-%d" % (path, os.getpid())
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            lib.berth_image_save(self._handle(), arr, fmt, fd)
            os.close(fd)
            fd = -1
            os.rename(tmp, path)
        finally:
            if fd >= 0:
                os.close(fd)
            if os.path.exists(tmp):
                os.unlink(tmp)

    def load_images(self, path_or_fd: Union[PathArg, int]) -> List[Tuple[str, Optional[str]]]:
        """Loads the images of a docker-save or OCI archive (a path or an open
        fd); returns [(image id, reference or None), ...]."""
        fd = path_or_fd if isinstance(path_or_fd, int) else os.open(str(path_or_fd), os.O_RDONLY | os.O_CLOEXEC)
        try:
            out = c_void_p()
            lib.berth_image_load(byref(out), self._handle(), fd)
        finally:
            if not isinstance(path_or_fd, int):
                os.close(fd)
        res = []
        for line in take_strv(out):
            parts = dec(line).split(" ", 1)
            res.append((parts[0], parts[1] if len(parts) > 1 else None))
        return res

    def import_image(self, path: PathArg, ref: Optional[str] = None) -> _image.Image:
        """A root filesystem tarball (plain, gzip, zstd) as a one-layer image."""
        h = _lib.ImageP()
        lib.berth_image_import(byref(h), self._handle(), enc(str(path)), enc(ref) if ref else None)
        return _image.Image(h)

    def image(self, name: str) -> _image.Image:
        """An image by reference, id or id prefix (berth.NotFound if absent)."""
        h = _lib.ImageP()
        lib.berth_image_open(byref(h), self._handle(), enc(name))
        return _image.Image(h)

    def images(self) -> List[_image.Image]:
        """Every image in the store."""
        out = c_void_p()
        lib.berth_image_list(byref(out), self._handle())
        return [self.image(dec(i)) for i in take_strv(out)]

    def tag_image(self, src: str, dst: str) -> None:
        lib.berth_image_tag(self._handle(), enc(src), enc(dst))

    def remove_image(self, name: str, force: bool = False) -> None:
        """Removes a reference (the image with its last one); berth.Busy while a
        container uses the image unless force."""
        lib.berth_image_remove(self._handle(), enc(name), 1 if force else 0)

    def prune_images(self) -> int:
        """Removes blobs and layers no image refers to, and the build-cache entries
        whose layer or base image went; returns the bytes freed."""
        n = c_uint64()
        lib.berth_image_prune(byref(n), self._handle())
        return n.value

    # --- volumes ---
    def create_volume(self, name: Optional[str] = None) -> str:
        """Creates a volume (name None: anonymous); an existing one is kept.
        Returns its name."""
        return _volume.create(self._handle(), name)

    def remove_volume(self, name: str) -> None:
        """berth.Busy (naming the container) while a container uses it."""
        _volume.remove(self._handle(), name)

    def volume(self, name: str) -> Dict[str, Any]:
        """A volume's details (a dict as `docker volume inspect`, with UsedBy)."""
        return _volume.inspect(self._handle(), name)

    def volume_names(self) -> List[str]:
        return _volume.names(self._handle())

    def volumes(self) -> List[Dict[str, Any]]:
        """Every volume's details (volumes removed meanwhile are left out)."""
        out = []
        for n in self.volume_names():
            try:
                out.append(self.volume(n))
            except errors.NotFound:
                pass
        return out

    def prune_volumes(self, all: bool = False) -> Dict[str, Any]:
        """Removes unused anonymous volumes (all=True: every unused one):
        {"VolumesDeleted": [...], "SpaceReclaimed": bytes}."""
        return _volume.prune(self._handle(), all)

    def build_spec(self, args: Optional[Args] = None, *, rootfs: Optional[PathArg] = None, env: Optional[Env] = None,
                   cwd: Optional[str] = None, user: Optional[User] = None, hostname: Optional[str] = None,
                   readonly: bool = False, mounts: Optional[Iterable[Mount]] = None,
                   volumes: Optional[Iterable[Mount]] = None, cap_add: Iterable[str] = (), cap_drop: Iterable[str] = (),
                   privileged: bool = False, seccomp: Any = UNSET, network: Any = UNSET,
                   terminal: bool = False, spec: Optional[Spec] = None, cgroup_parent: Optional[str] = None,
                   image: Union[None, str, _image.Image] = None, entrypoint: Optional[str] = None,
                   ports: Optional[Ports] = None, dns: Optional[Sequence[str]] = None, **resources: Any) -> Spec:
        """The Spec that run()/create() would use (a new one; spec is copied).
        image: a berth.Image or a name (reference or id) to run instead of a
        rootfs; args then override the image's Cmd, entrypoint its Entrypoint.
        resources: memory, memory_swap, memory_reservation, cpus, cpu_shares,
        cpu_quota, cpu_period, cpuset_cpus, cpuset_mems, pids_limit,
        blkio_weight (see berth.cgroup.resources())."""
        _cgroup.check_keywords(resources, "build_spec")
        given = {k: v for k, v in resources.items() if v is not None}
        s = spec.copy() if spec is not None else Spec()
        try:
            if given:
                s.set_resources(**given)
            if cgroup_parent is not None:
                s.set_cgroup_parent(cgroup_parent)
            user_root = None  # where a user name is looked up
            if image is not None:
                img = image if isinstance(image, _image.Image) else self.image(image)
                try:
                    s.set_image(img, entrypoint, args)
                    if _is_user_name(user):
                        user_root = img.layer_dirs()
                finally:
                    if img is not image:
                        img.close()
            elif args is not None:
                s.set_args([args] if isinstance(args, (str, bytes)) else list(args))
            if rootfs is not None:
                s.set_rootfs(_abspath(rootfs), readonly)
            elif readonly:
                s.set_rootfs(s.get("/root/path"), True)
            if env is not None:
                s.update_env(env)
            if cwd is not None:
                s.set_cwd(cwd)
            if isinstance(user, (str, bytes)) and _is_user_name(user):
                s.set_user_name(user, user_root if user_root is not None else
                                _abspath(rootfs) if rootfs is not None else s.get("/root/path"))
            elif user is not None:
                s.set_user(user)
            if hostname is not None:
                s.set_hostname(hostname)
            if terminal:
                s.set_terminal(True)
            for m in list(mounts or ()) + list(volumes or ()):
                if isinstance(m, (str, bytes)):
                    s.add_volume(m)
                elif isinstance(m, dict):
                    s.add_mount(m["destination"], m.get("type", "bind"), m.get("source"), m.get("options"))
                elif isinstance(m, (tuple, list)) and len(m) in (2, 3):
                    ro = len(m) == 3 and (m[2] is True or m[2] == "ro")
                    src: Union[str, bytes, None] = os.fspath(m[0]) if m[0] is not None else None
                    if src is None or not (src.startswith("/") if isinstance(src, str) else src.startswith(b"/")):
                        s.add_named_volume(src, m[1], ro)  # a volume's name (None: anonymous)
                    else:
                        s.add_bind(src, m[1], ro)
                else:
                    raise TypeError("mount %r: expected 'SRC:DST[:ro]', (src, dst[, 'ro']) or a dict" % (m,))
            if privileged:
                s.set_privileged(True)
            # Drops first, so that cap_drop=["ALL"], cap_add=["NET_ADMIN"] keeps NET_ADMIN (as Docker).
            if cap_drop:
                s.cap_drop(cap_drop)
            if cap_add:
                s.cap_add(cap_add)
            if seccomp is UNSET:
                # The default profile depends on the capabilities (as Docker's does).
                if spec is None and not privileged and (cap_add or cap_drop):
                    s.set_seccomp_default()
            else:
                s.set_seccomp(seccomp)
            if network is not UNSET:
                self._set_network(s, network)
            if ports:
                if network is UNSET:
                    s.set_network("bridge")  # ports need a bridge network
                s.add_port(ports)
            if dns is not None:
                s.set_dns(dns)
        except BaseException:
            s.close()
            raise
        return s

    def _set_network(self, s, network):
        if network is None:
            network = "none"
        if isinstance(network, (bytes, os.PathLike)) or (isinstance(network, str) and network.startswith("/")):
            # a network namespace by path
            s.set_network("none")
            s.set_namespace(NS_NET, network)
        elif isinstance(network, str):
            # none, host, bridge, container:ID, a created network (berth.net)
            s.set_network(network)
        else:
            raise TypeError("network %r: none, host, bridge, container:ID, a network's name or a netns path"
                            % (network,))

    def _options(self, id, name, flags, mode, fds, log_driver=None, log_max_size=None, log_max_file=None):
        opts = CreateOptions()
        lib.berth_create_options_init(byref(opts), CREATE_OPTIONS_VERSION)
        opts.id = enc(id)
        opts.name = enc(name)
        opts.flags = flags
        opts.stdio_mode = mode
        opts.stdin_fd, opts.stdout_fd, opts.stderr_fd = fds
        opts.log_driver = enc(log_driver)
        if log_max_size is not None:
            opts.log_max_size = _cgroup.parse_size(log_max_size, "log_max_size", unlimited=False)
        if log_max_file is not None:
            opts.log_max_file = int(log_max_file)
        return opts

    # --- high level ---
    def run(self, args: Optional[Args] = None, *, rootfs: Optional[PathArg] = None, env: Optional[Env] = None,
            cwd: Optional[str] = None, user: Optional[User] = None, hostname: Optional[str] = None,
            readonly: bool = False, mounts: Optional[Iterable[Mount]] = None,
            volumes: Optional[Iterable[Mount]] = None, cap_add: Iterable[str] = (), cap_drop: Iterable[str] = (),
            privileged: bool = False, seccomp: Any = UNSET, network: Any = UNSET,
            name: Optional[str] = None, id: Optional[str] = None, stdin: Stdio = None, input: Optional[bytes] = None,
            stdout: Stdio = None, stderr: Stdio = None, capture_output: bool = False, remove: bool = True,
            timeout: Optional[float] = None, spec: Optional[Spec] = None, check: bool = False,
            cgroup_parent: Optional[str] = None, image: Union[None, str, _image.Image] = None,
            entrypoint: Optional[str] = None, ports: Optional[Ports] = None, dns: Optional[Sequence[str]] = None,
            **resources: Any) -> CompletedContainer:
        """Runs a container to completion: CompletedContainer(exit_code, signal,
        stdout, stderr, id).

        stdin: None (/dev/null), bytes (fed through a pipe), an fd or a file.
        stdout/stderr: None (/dev/null), an fd or file, berth.PIPE (captured),
        berth.STDOUT (stderr only). capture_output=True captures both.
        remove: delete the container afterwards (and its anonymous volumes,
        as docker run --rm; named ones stay). timeout (seconds): kill it
        and raise berth.Timeout (with .stdout/.stderr captured so far).
        Resource keywords (memory="512m", cpus=0.5, pids_limit=64, ...; see
        berth.cgroup.resources()) and cgroup_parent set the container's cgroup.
        network: "none" (the library's default), "host", "bridge",
        "container:ID", a created network's name, or a netns path.
        ports: published ports ("8080:80", berth.net.Port, (8080, 80)); they
        imply network="bridge" when network is not given. dns: servers.
        """
        _cgroup.check_keywords(resources, "run")
        s = self.build_spec(args, rootfs=rootfs, env=env, cwd=cwd, user=user, hostname=hostname,
                            readonly=readonly, mounts=mounts, volumes=volumes, cap_add=cap_add,
                            cap_drop=cap_drop, privileged=privileged, seccomp=seccomp, network=network,
                            spec=spec, cgroup_parent=cgroup_parent, image=image, entrypoint=entrypoint,
                            ports=ports, dns=dns, **resources)
        try:
            argv = s.args
            stdio = _Stdio(stdin, stdout, stderr, capture_output, input)
            h = ContainerP()
            try:
                opts = self._options(id, name, 0, STDIO_FDS, stdio.fds)
                lib.berth_container_run(byref(h), self._handle(), s._handle(), byref(opts))
            except BaseException:
                stdio.failed()
                raise
            stdio.spawned()
        finally:
            s.close()

        c = Container(self, h)
        try:
            try:
                code = c.wait(timeout)
            except BaseException as e:
                # Timeout or KeyboardInterrupt: do not leave it running.
                try:
                    c.kill(_signal.SIGKILL, all=True)
                    c.wait(10)
                except errors.BerthError:
                    pass
                if remove:
                    try:
                        c.delete(force=True, volumes=True)
                    except errors.BerthError:
                        pass
                c.close()
                if isinstance(e, errors.Timeout):
                    e.stdout, e.stderr = stdio.finish()
                raise
            sig = c.signal
            if remove:
                c.delete(volumes=True)  # as docker run --rm: anonymous volumes go too
        finally:
            # The handle first: the library may hold copies of the pipes' ends.
            c.close()
            out, err = stdio.finish()
        r = CompletedContainer(code, sig, out, err, c.id, c.name, argv)
        if check:
            r.check_returncode()
        return r

    def create(self, args: Optional[Args] = None, *, rootfs: Optional[PathArg] = None, env: Optional[Env] = None,
               cwd: Optional[str] = None, user: Optional[User] = None, hostname: Optional[str] = None,
               readonly: bool = False, mounts: Optional[Iterable[Mount]] = None,
               volumes: Optional[Iterable[Mount]] = None, cap_add: Iterable[str] = (), cap_drop: Iterable[str] = (),
               privileged: bool = False, seccomp: Any = UNSET, network: Any = UNSET,
               name: Optional[str] = None, id: Optional[str] = None, stdin: Stdio = None, stdout: Stdio = None,
               stderr: Stdio = None, log_output: Optional[bool] = None, detach: bool = False, terminal: bool = False,
               remove: bool = False, start: bool = False, spec: Optional[Spec] = None,
               cgroup_parent: Optional[str] = None, image: Union[None, str, _image.Image] = None,
               entrypoint: Optional[str] = None, ports: Optional[Ports] = None, dns: Optional[Sequence[str]] = None,
               log_driver: Optional[str] = None, log_max_size: Optional[Size] = None,
               log_max_file: Optional[int] = None, **resources: Any) -> Container:
        """Creates a container (OCI "created": its init waits before exec) and
        returns a Container; start() runs it (or pass start=True).

        detach: supervised by berth-monitor, which outlives this process.
        log_output: stdout/stderr through pipes to the container's monitor, which
        keeps its log (logs()); default on for detach when no stdout/stderr fd is
        given. Not detached, the monitor also copies the output to the stdout/
        stderr fds given.
        log_driver: "local" (default) or "none"; log_max_size (bytes or "10m") and
        log_max_file: the rotation (default 10 MiB x 5 files).
        terminal: a pseudo-terminal (take_console() / attach()).
        remove: delete it once it has exited (needs detach to be automatic).
        stdin/stdout/stderr: None (/dev/null) or an fd or file (dup'ed).
        Resource keywords and cgroup_parent: as for run().
        """
        _cgroup.check_keywords(resources, "create")
        s = self.build_spec(args, rootfs=rootfs, env=env, cwd=cwd, user=user, hostname=hostname,
                            readonly=readonly, mounts=mounts, volumes=volumes, cap_add=cap_add,
                            cap_drop=cap_drop, privileged=privileged, seccomp=seccomp, network=network,
                            terminal=terminal, spec=spec, cgroup_parent=cgroup_parent, image=image,
                            entrypoint=entrypoint, ports=ports, dns=dns, **resources)
        try:
            stdio = _Stdio(stdin, stdout, stderr, allow_pipes=False)
            if terminal:
                mode = STDIO_TERMINAL
            elif log_output or (log_output is None and detach and stdout is None and stderr is None):
                mode = STDIO_LOG
            else:
                mode = STDIO_FDS
            flags = (CREATE_DETACH if detach else 0) | (CREATE_REMOVE if remove else 0)
            opts = self._options(id, name, flags, mode, stdio.fds, log_driver, log_max_size, log_max_file)
            h = ContainerP()
            fn = lib.berth_container_run if start else lib.berth_container_create
            fn(byref(h), self._handle(), s._handle(), byref(opts))
        finally:
            s.close()
        return Container(self, h)


__all__ = ["Context", "UNSET"]
