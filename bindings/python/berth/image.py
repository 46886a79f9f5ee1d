"""Images (include/berth/image.h): references, the store's images, pull,
push, registry logins, save and load."""
from __future__ import annotations

import json
import threading
# typing only for type checkers: importing it costs `import berth` ~10 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional
from ctypes import byref, c_void_p

from . import _lib
from . import errors
from ._handle import Handle


class Reference:
    """A parsed, normalised image reference, as Docker normalises them:

    >>> r = Reference("mongo")
    >>> r.string, r.familiar, r.registry
    ('docker.io/library/mongo:latest', 'mongo:latest', 'registry-1.docker.io')

    Raises berth.InvalidArgument naming the offending part.
    """

    domain: str
    path: str
    tag: Optional[str]
    digest: Optional[str]
    string: str
    familiar: str
    registry: str

    def __init__(self, reference: str) -> None:
        h = _lib.RefP()
        _lib.lib.berth_ref_parse(byref(h), _lib.enc(reference))
        try:
            get = lambda f: _lib._decode(f(h))  # noqa: E731
            self.domain = get(_lib.lib.berth_ref_domain)
            self.path = get(_lib.lib.berth_ref_path)
            self.tag = get(_lib.lib.berth_ref_tag)
            self.digest = get(_lib.lib.berth_ref_digest)
            self.string = get(_lib.lib.berth_ref_string)
            self.familiar = get(_lib.lib.berth_ref_familiar)
            self.registry = get(_lib.lib.berth_ref_registry)
        finally:
            _lib.lib.berth_ref_free(h)

    def __str__(self) -> str:
        return self.string

    def __repr__(self):
        return "<berth.Reference %s>" % self.string

    def __eq__(self, other):
        return isinstance(other, Reference) and self.string == other.string

    def __hash__(self):
        return hash(self.string)


class Image(Handle):
    """An image in the store (from Context.pull / import_image / image / images)."""
    _FREE = "berth_image_free"

    def __init__(self, handle: Any) -> None:
        self._h = handle
        self._lock = threading.Lock()

    def _handle(self):
        if not self._h:
            raise errors.StateError(errors.ESTATE, 0, "image is closed")
        return self._h

    def close(self) -> None:
        with self._lock:
            h, self._h = self._h, None
            if h:
                _lib.lib.berth_image_free(h)

    @property
    def id(self) -> str:
        """"sha256:<config digest>"."""
        return _lib._decode(_lib.lib.berth_image_id(self._handle()))

    @property
    def tags(self) -> List[str]:
        """The references that name it ("docker.io/library/busybox:latest")."""
        out = c_void_p()
        _lib.lib.berth_image_tags(byref(out), self._handle())
        return [_lib._decode(t) for t in _lib.take_strv(out)]

    def inspect(self) -> Dict[str, Any]:
        """Docker-style inspect data (Id, RepoTags, Config, RootFS, History...)."""
        out = c_void_p()
        _lib.lib.berth_image_inspect(byref(out), self._handle())
        return json.loads(_lib.take_string(out))

    def config(self) -> Dict[str, Any]:
        """The image config's "config" object (Env, Cmd, Entrypoint, ...)."""
        out = c_void_p()
        _lib.lib.berth_image_config(byref(out), self._handle())
        return json.loads(_lib.take_string(out))

    def layer_dirs(self) -> List[str]:
        """The unpacked layers, lowest first (overlay lower dirs)."""
        out = c_void_p()
        _lib.lib.berth_image_layer_dirs(byref(out), self._handle())
        return [_lib._decode(t) for t in _lib.take_strv(out)]

    def __repr__(self):
        return "<berth.Image %s>" % (self.id[7:19] if self._h else "(closed)")


PULL_STATUS = ("resolving", "waiting", "downloading", "extracting", "done", "exists")
PUSH_STATUS = ("preparing", "waiting", "uploading", "?", "done", "exists", "mounted")


def _progress_fn(progress, guard, names=PULL_STATUS):
    """The 0.2 C callback (PROGRESS_CB) around progress: True or an
    exception stops the pull or push (see _lib.CallbackGuard)."""
    if progress is None:
        return _lib.PROGRESS_CB()

    def cb(digest, status, done, total, _payload):
        return guard.call(progress, _lib._decode(digest) if digest else None,
                          names[status] if 0 <= status < len(names) else status, done, total)
    return _lib.PROGRESS_CB(cb)


def _progress_options(opts, progress, guard, names=PULL_STATUS):
    opts.on_progress = _progress_fn(progress, guard, names)
    return opts


def pull(ctx_handle, ref, platform=None, tls_verify=True, username=None, password=None, progress=None):
    guard = _lib.CallbackGuard()
    opts = _progress_options(_lib.PullOptions(_lib.PULL_OPTIONS_VERSION, _lib.enc(platform) if platform else None,
                                              1 if tls_verify else 0, _lib.enc(username) if username else None,
                                              _lib.enc(password) if password else None), progress, guard)
    h = _lib.ImageP()
    with guard:
        _lib.lib.berth_image_pull(byref(h), ctx_handle, _lib.enc(ref), byref(opts))
    return Image(h)


def push(ctx_handle, name, dest=None, tls_verify=True, username=None, password=None, chunk_size=0,
         mount_from=None, progress=None):
    guard = _lib.CallbackGuard()
    opts = _progress_options(_lib.PushOptions(_lib.PUSH_OPTIONS_VERSION, 1 if tls_verify else 0,
                                              _lib.enc(username) if username else None,
                                              _lib.enc(password) if password else None,
                                              chunk_size, _lib.enc(mount_from) if mount_from else None),
                             progress, guard, PUSH_STATUS)
    out = c_void_p()
    with guard:
        _lib.lib.berth_image_push(byref(out), ctx_handle, _lib.enc(name), _lib.enc(dest) if dest else None,
                                  byref(opts))
    return _lib._decode(_lib.take_string(out))
