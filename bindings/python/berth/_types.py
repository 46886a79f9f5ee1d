# SPDX-License-Identifier: LGPL-2.1-or-later
"""Type aliases for the public API's hints (PEP 484). Imported only by type
checkers (the modules import it under TYPE_CHECKING with
``from __future__ import annotations``), so it costs nothing at run time."""

import os
from typing import IO, Any, Callable, Dict, Mapping, Sequence, Tuple, Union

from .net import Port

#: a file system path
PathArg = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
#: a command: one string or an argv list
Args = Union[str, bytes, Sequence[Union[str, bytes]]]
#: the environment: a mapping or "K=V" strings
Env = Union[Mapping[str, str], Sequence[str]]
#: a user: a uid, "uid[:gid]" / "name[:group]", or (uid, gid)
User = Union[int, str, Tuple[int, int]]
#: stdio: None (/dev/null), an fd, a file, or berth.PIPE / STDOUT / DEVNULL
Stdio = Union[None, int, IO[Any]]
#: a mount: "SRC:DST[:ro]", (src, dst[, "ro"]) or {"destination", "type", "source", "options"}
Mount = Union[str, bytes, Tuple[Any, ...], Dict[str, Any]]
#: a published port: "8080:80[/udp]", berth.net.Port or (hostport, containerport)
PortArg = Union[str, Port, Tuple[Any, ...]]
Ports = Union[PortArg, Sequence[PortArg]]
#: pull/push progress: (digest, status, done, total)
Progress = Callable[[str, str, int, int], Any]
#: a signal: a number, signal.Signals, or a name ("TERM", "SIGKILL")
Sig = Union[int, str]
#: a size: bytes or a string such as "512m"
Size = Union[int, str]
