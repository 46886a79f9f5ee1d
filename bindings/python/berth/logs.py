# SPDX-License-Identifier: LGPL-2.1-or-later
"""Reading a container's log (include/berth/log.h): Container.logs().

The monitor keeps a record per line (or piece of a long or unfinished line):
its stream, the time it was read (unix ns) and the bytes, any bytes.
"""

from __future__ import annotations

import collections
import ctypes
import datetime
import time
from ctypes import byref, c_int64
# typing only for type checkers: importing it costs `import berth` ~10 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, NamedTuple, Optional, Union

from . import errors
from ._lib import (LOG_FOLLOW, LOG_PARTIAL, LOG_READ_OPTIONS_VERSION, LOG_RECORD_VERSION, LOG_STDERR, LogReaderP,
                   LogReadOptions, LogRecord, enc, lib)

# stream: "stdout" or "stderr"; time_ns: int; data: bytes (with timestamps=True,
# prefixed by the RFC 3339 time at each line start); partial: the line goes on
# in the next record of the stream.
if TYPE_CHECKING:
    class LogRecordTuple(NamedTuple):
        stream: str
        time_ns: int
        data: bytes
        partial: bool
else:
    LogRecordTuple = collections.namedtuple("LogRecord", "stream time_ns data partial")

# How long one library call waits while following (KeyboardInterrupt is seen between calls).
_SLICE_MS = 200


def parse_time(value: Union[None, int, float, str, datetime.datetime], now_ns: int = 0) -> int:
    """since/until as unix ns: None, int/float unix seconds, datetime, or a str
    as `berth logs` takes it (RFC 3339, unix seconds, or a duration before now: "10m")."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise TypeError("a time, not a bool")
    if isinstance(value, (int, float)):
        return int(value * 1_000_000_000)
    if isinstance(value, datetime.datetime):
        return int(value.timestamp()) * 1_000_000_000 + value.microsecond * 1000
    out = c_int64()
    lib.berth_log_parse_time(byref(out), enc(value), now_ns)
    return out.value


def format_time(ns: int) -> str:
    """RFC 3339 with nanoseconds, in UTC, as `berth logs -t` prints it."""
    secs, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + ".%09dZ" % frac


class LogIterator:
    """An iterator of LogRecord over a container's log; read() (or bytes())
    gives the data of every record at once, as Container.logs() returned
    before it became an iterator. Close it (or use `with`) to release the
    reader early; iterating to the end releases it too."""

    def __init__(self, container: Any, follow: bool, since: Any, until: Any, timestamps: bool,
                 tail: Optional[int]) -> None:
        self._c = container
        self._timestamps = timestamps
        self._line_start = {1: True, 2: True}
        self._opts = LogReadOptions()
        lib.berth_log_read_options_init(byref(self._opts), LOG_READ_OPTIONS_VERSION)
        self._opts.flags = LOG_FOLLOW if follow else 0
        self._opts.since_ns = parse_time(since)
        self._opts.until_ns = parse_time(until)
        if tail is not None and tail != "all":
            if int(tail) < 0:
                raise ValueError("tail must be >= 0 (or None for all)")
            self._opts.tail = int(tail)
        self._reader = None
        self._done = False
        self._all: Optional[bytes] = None
        self._rec = LogRecord()
        self._rec.version = LOG_RECORD_VERSION

    def _open(self):
        r = LogReaderP()
        with self._c._lock:
            lib.berth_log_reader_open(byref(r), self._c._handle(), byref(self._opts))
        self._reader = r

    def __iter__(self) -> Iterator[LogRecordTuple]:
        return self

    def __next__(self) -> LogRecordTuple:
        if self._done:
            raise StopIteration
        if self._reader is None:
            self._open()
        while True:
            try:
                with self._c._lock:
                    n = lib.berth_log_reader_next(byref(self._rec), self._reader, _SLICE_MS)
            except errors.Timeout:
                continue
            except BaseException:
                self.close()
                raise
            if n == 0:
                self.close()
                raise StopIteration
            return self._record()

    def _record(self):
        rec = self._rec
        data = ctypes.string_at(rec.data, rec.len) if rec.len else b""
        stream = rec.stream
        if self._timestamps and self._line_start.get(stream, True):
            data = format_time(rec.time_ns).encode() + b" " + data
        partial = bool(rec.flags & LOG_PARTIAL)
        self._line_start[stream] = not partial
        return LogRecordTuple("stderr" if stream == LOG_STDERR else "stdout", rec.time_ns, data, partial)

    def read(self) -> bytes:
        """The data of every (remaining) record, stdout and stderr in the order
        read. Kept: bytes(it) and `b"x" in it` give the same afterwards."""
        if self._all is None:
            self._all = b"".join(r.data for r in self)
        return self._all

    def __bytes__(self) -> bytes:
        return self.read()

    def __contains__(self, item: object) -> bool:
        # `b"x" in c.logs()` as when logs() returned bytes
        if isinstance(item, (bytes, bytearray)):
            return bytes(item) in self.read()
        return any(r == item for r in self)

    def close(self) -> None:
        self._done = True
        if self._reader is not None:
            lib.berth_log_reader_free(self._reader)
            self._reader = None

    def __enter__(self) -> LogIterator:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


__all__ = ["LogIterator", "LogRecordTuple", "parse_time", "format_time"]
