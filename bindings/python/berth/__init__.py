# SPDX-License-Identifier: LGPL-2.1-or-later
"""berth: Python bindings for libberth, an embeddable container library.

    import berth
    with berth.Context(root="/var/lib/berth", run_root="/run/berth") as ctx:
        r = ctx.run(["/bin/sh", "-c", "echo $$"], rootfs="/path/to/rootfs", capture_output=True)
        assert r.exit_code == 0 and r.stdout.strip() == b"1"

Pure ctypes: libberth.so.0 is loaded from $BERTH_LIBRARY, else from the
prefix it was installed in with `cmake --install` (BERTH_INSTALL_PYTHON), else
by the dynamic loader's search. Importing loads the library and does nothing else.
See docs/python.md.
"""

from __future__ import annotations

from . import namespace
from . import cgroup
from . import image
from . import volume
from . import build
from . import net
from .image import Image, Reference
from . import _lib
from ._lib import LOG_DEBUG, LOG_ERROR, LOG_INFO, LOG_WARN, SIZE_UNLIMITED
from .container import DEVNULL, PIPE, STDOUT, CompletedContainer, Container, ExecResult, Process
from .context import Context
from .logs import LogIterator, LogRecordTuple as LogRecord
from .errors import (AuthError, BerthError, BerthOSError, Busy, ContainerError, DigestError, Exists, InvalidArgument,
                     NetworkError, NotFound, OutOfMemory, PermissionDenied, StateError, SystemError_, Timeout, Canceled,
                     Unsupported)
from .spec import Spec

__version__ = "0.2.0"

STATUS_CREATING = "creating"
STATUS_CREATED = "created"
STATUS_RUNNING = "running"
STATUS_PAUSED = "paused"
STATUS_STOPPED = "stopped"


def version() -> str:
    """The loaded library's version string ("0.2.0")."""
    return _lib.dec(_lib.lib.berth_version())


def strerror(code: int) -> str:
    """A static description of a BERTH_E* code."""
    return _lib.strerror(code)


__all__ = [
    # the entry points and their results
    "Context", "Spec", "Container", "Process", "CompletedContainer", "ExecResult", "Image", "Reference",
    "LogIterator", "LogRecord", "version", "strerror", "__version__",
    # the areas' modules
    "namespace", "cgroup", "image", "volume", "build", "net",
    # constants
    "PIPE", "STDOUT", "DEVNULL", "LOG_ERROR", "LOG_WARN", "LOG_INFO", "LOG_DEBUG", "SIZE_UNLIMITED",
    "STATUS_CREATING", "STATUS_CREATED", "STATUS_RUNNING", "STATUS_PAUSED", "STATUS_STOPPED",
    # exceptions
    "BerthError", "InvalidArgument", "NotFound", "Exists", "StateError", "BerthOSError", "SystemError_",
    "OutOfMemory", "AuthError", "DigestError", "NetworkError", "Busy", "Unsupported", "PermissionDenied",
    "Timeout", "ContainerError", "Canceled",
]
