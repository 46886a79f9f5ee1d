# SPDX-License-Identifier: LGPL-2.1-or-later
"""Exceptions raised by the berth bindings.

Every failing libberth call (a negative ``BERTH_E*`` return) raises a
:class:`BerthError` subclass chosen by the code. The message is the
library's per-thread ``berth_error_last()->message``, read right after the
failing call on the same thread, so it names the object and the cause.
"""

from __future__ import annotations

# typing only for type checkers: importing it costs `import berth` ~10 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Optional, Type

# The C error codes (include/berth/common.h).
OK = 0
ERROR = -1
EINVAL = -2
ENOTFOUND = -3
EEXISTS = -4
ESTATE = -5
ESYS = -6
ENOMEM = -7
EAUTH = -8
EDIGEST = -9
ENET = -10
EBUSY = -11
EUNSUPPORTED = -12
EPERM = -13
ETIMEOUT = -14
ECANCELED = -15


class BerthError(Exception):
    """A libberth failure: ``code`` (a negative BERTH_E* value), ``sys_errno``
    (errno of the failing system call, or 0) and ``message``."""

    code = ERROR

    def __init__(self, code: Optional[int] = None, sys_errno: int = 0, message: str = "") -> None:
        if code is None:
            code = type(self).code
        self.code = code
        self.sys_errno = sys_errno
        self.message = message
        super().__init__(code, sys_errno, message)

    @property
    def errno(self) -> int:
        return self.sys_errno

    def __str__(self) -> str:
        return self.message or "berth error %d" % self.code

    def __repr__(self) -> str:
        return "%s(code=%d, sys_errno=%d, message=%r)" % (type(self).__name__, self.code, self.sys_errno, self.message)


class InvalidArgument(BerthError, ValueError):
    """BERTH_EINVAL: an invalid argument or configuration."""
    code = EINVAL


class NotFound(BerthError, LookupError):
    """BERTH_ENOTFOUND: the object does not exist."""
    code = ENOTFOUND


class Exists(BerthError):
    """BERTH_EEXISTS: the object already exists."""
    code = EEXISTS


class StateError(BerthError):
    """BERTH_ESTATE: the operation is not valid in the object's state."""
    code = ESTATE


class BerthOSError(BerthError):
    """BERTH_ESYS: a system call failed; ``sys_errno`` says which errno."""
    code = ESYS


SystemError_ = BerthOSError


class OutOfMemory(BerthError, MemoryError):
    """BERTH_ENOMEM."""
    code = ENOMEM


class AuthError(BerthError):
    """BERTH_EAUTH: authentication failed."""
    code = EAUTH


class DigestError(BerthError):
    """BERTH_EDIGEST: a content digest did not match."""
    code = EDIGEST


class NetworkError(BerthError):
    """BERTH_ENET: a network failure."""
    code = ENET


class Busy(BerthError):
    """BERTH_EBUSY: the object is in use."""
    code = EBUSY


class Unsupported(BerthError):
    """BERTH_EUNSUPPORTED: not supported on this host or by this library build."""
    code = EUNSUPPORTED


class PermissionDenied(BerthError):
    """BERTH_EPERM: not permitted."""
    code = EPERM


class Timeout(BerthError, TimeoutError):  # type: ignore[misc]  # errno: BerthError's (sys_errno)
    """BERTH_ETIMEOUT: timed out; also a :class:`TimeoutError`, so code that
    catches the builtin catches it too. From ``Context.run(timeout=...)`` and
    ``Container.exec(timeout=...)`` it carries what was captured so far in
    ``stdout`` and ``stderr``."""
    code = ETIMEOUT
    stdout: Optional[bytes] = None
    stderr: Optional[bytes] = None

    def __init__(self, code: Optional[int] = None, sys_errno: int = 0, message: str = "") -> None:
        super().__init__(code, sys_errno, message)
        # TimeoutError's OSError fields: the message, no file name (``errno``
        # stays BerthError's: the failing system call's errno, or 0)
        self.strerror = self.message
        self.filename = None
        self.args = (self.code, sys_errno, message)  # OSError keeps two of the three


class ContainerError(BerthError):
    """``check=True`` or ``check_returncode()`` on a non-zero exit: ``result``
    is the :class:`~berth.CompletedContainer` or :class:`~berth.ExecResult`
    (``exit_code``, ``signal``, captured ``stdout``/``stderr``). ``code`` is
    BERTH_ERROR: the library did its part, the container's process failed."""

    def __init__(self, result: Any) -> None:
        self.result = result
        super().__init__(ERROR, 0, "container process %r exited with %d" % (result.args, result.exit_code))


class Canceled(BerthError):
    """BERTH_ECANCELED: a callback of the caller stopped the operation (since 0.2)."""
    code = ECANCELED


_BY_CODE: Dict[int, Type[BerthError]] = {
    cls.code: cls
    for cls in (InvalidArgument, NotFound, Exists, StateError, BerthOSError, OutOfMemory, AuthError,
                DigestError, NetworkError, Busy, Unsupported, PermissionDenied, Timeout, Canceled)
}


def error_class(code: int) -> Type[BerthError]:
    """The exception class for a BERTH_E* code (BerthError for unknown ones)."""
    return _BY_CODE.get(code, BerthError)


def make_error(code: int, sys_errno: int = 0, message: str = "") -> BerthError:
    """An exception instance of the right class for code."""
    return error_class(code)(code, sys_errno, message)


__all__ = [
    "BerthError", "InvalidArgument", "NotFound", "Exists", "StateError", "BerthOSError", "SystemError_",
    "OutOfMemory", "AuthError", "DigestError", "NetworkError", "Busy", "Unsupported", "PermissionDenied",
    "Timeout", "ContainerError", "error_class", "make_error",
]
