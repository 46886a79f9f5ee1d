# SPDX-License-Identifier: LGPL-2.1-or-later
"""Linux namespace kinds and standalone helpers (include/berth/namespace.h).

unshare() and join() change the *calling thread's* namespaces (the kernel's
rule for setns/unshare); the mount and user types need a single-threaded
process, which a Python program with threads is not.
"""

from __future__ import annotations

from ctypes import byref, c_int
# typing only for type checkers: importing it costs `import berth` ~10 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterable, Union

from . import errors
from ._lib import dec, enc, lib

NS_PID = 1
NS_NET = 2
NS_MOUNT = 3
NS_UTS = 4
NS_IPC = 5
NS_USER = 6
NS_CGROUP = 7
NS_TIME = 8

if TYPE_CHECKING:
    #: a namespace type: NS_* or its OCI name ("pid", "network", also "net", "mnt")
    NsType = Union[int, str, bytes]

TYPES = (NS_PID, NS_NET, NS_MOUNT, NS_UTS, NS_IPC, NS_USER, NS_CGROUP, NS_TIME)


def bit(type: NsType) -> int:
    """BERTH_NS_BIT(type): the bit of a type in a mask."""
    return 1 << _type(type)


def _type(t):
    if isinstance(t, (str, bytes)):
        return type_from_name(t)
    return int(t)


def type_name(type: int) -> str:
    """The OCI name of a type ("pid", "network", ...). InvalidArgument if unknown."""
    name = lib.berth_ns_type_name(int(type))
    if name is None:
        raise errors.InvalidArgument(errors.EINVAL, 0, "namespace type %r: unknown" % (type,))
    return dec(name)


def type_from_name(name: Union[str, bytes]) -> int:
    """Parses an OCI name (also "net" and "mnt"). InvalidArgument if unknown."""
    out = c_int()
    lib.berth_ns_type_from_name(byref(out), enc(name))
    return out.value


def clone_flag(type: NsType) -> int:
    """The CLONE_NEW* flag of a type, 0 for an unknown one."""
    return lib.berth_ns_clone_flag(_type(type))


def mask(types: Union[int, NsType, Iterable[NsType]]) -> int:
    """A mask from an int (returned as is) or an iterable of types/names."""
    if isinstance(types, int):
        return types
    if isinstance(types, (str, bytes)):
        types = [types]
    m = 0
    for t in types:
        m |= bit(t)
    return m


def unshare(types: Union[int, NsType, Iterable[NsType]]) -> None:
    """Moves the calling thread into new namespaces: a mask (bit()) or a list
    of types or names. A new net namespace gets its loopback up."""
    lib.berth_ns_unshare(mask(types))


def join(path: Union[str, bytes, int], type: NsType = 0) -> None:
    """Joins the namespace at path (/proc/PID/ns/net, a bind mount of one, or an
    open fd). type 0 accepts any type; otherwise the file must be of that type."""
    if isinstance(path, int):
        path = "/proc/self/fd/%d" % path
    lib.berth_ns_join(enc(path), _type(type) if type else 0)


def open(pid: int, type: NsType) -> int:
    """Opens the namespace of a type of process pid (0: the caller). Returns an
    fd the caller owns (close it with os.close)."""
    out = c_int(-1)
    lib.berth_ns_open(byref(out), int(pid), _type(type))
    return out.value


def loopback_up() -> None:
    """Brings up lo in the calling thread's network namespace."""
    lib.berth_ns_loopback_up()


__all__ = ["NS_PID", "NS_NET", "NS_MOUNT", "NS_UTS", "NS_IPC", "NS_USER", "NS_CGROUP", "NS_TIME", "TYPES",
           "bit", "type_name", "type_from_name", "clone_flag", "mask", "unshare", "join", "open", "loopback_up"]
