# SPDX-License-Identifier: LGPL-2.1-or-later
"""berth.cgroup: control groups (include/berth/cgroup.h) and the resource
keywords shared by Context.run()/create(), Spec.set_resources(),
Container.update() and Cgroup.set().

    import berth.cgroup
    berth.cgroup.mode()                     # "v1", "hybrid", "v2" (or "none")
    with berth.cgroup.Cgroup.create("job1", parent="berth/jobs") as cg:
        cg.set(memory="64m", pids_limit=32, cpus=0.5)
        cg.attach(pid)
        cg.stats().memory_usage
        cg.freeze(); cg.thaw(); cg.kill()
        cg.destroy()                        # removes it from every hierarchy
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import threading
from ctypes import POINTER, byref, c_int, c_void_p, cast

from . import errors
from ._handle import Handle
from ._lib import (CGROUP_RESOURCES_VERSION, CGROUP_STATS_VERSION, CGROUP_UNSET, CgroupP, CgroupResources,
                   CgroupStats, cgroup_resources_defaults, dec, enc, lib)

# typing only for type checkers: importing it costs `import berth` ~10 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Union
    from ._types import Size

MODE_NONE, MODE_V1, MODE_HYBRID, MODE_V2 = 0, 1, 2, 3
UNSET = CGROUP_UNSET

# The resource keywords, in the order of berth_cgroup_resources.
RESOURCE_KEYS = ("memory", "memory_reservation", "memory_swap", "cpus", "cpu_shares", "cpu_quota",
                 "cpu_period", "cpuset_cpus", "cpuset_mems", "pids_limit", "blkio_weight")

CPUS_PERIOD = 100000

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([bkmgtp]?)(i?b)?\s*$", re.I)
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


def _einval(msg):
    return errors.InvalidArgument(errors.EINVAL, 0, msg)


def parse_size(value: Size, what: str = "size", unlimited: bool = True) -> int:
    """Bytes from an int or a string such as "512m", "1g", "1024k", "1.5GiB",
    "4096" (binary units, as Docker). -1 (or "-1") means unlimited when
    unlimited is true. InvalidArgument naming what for anything else."""
    if isinstance(value, bool):
        raise _einval("%s %r: expected bytes or a size such as '512m'" % (what, value))
    if isinstance(value, int):
        if value == -1 and unlimited:
            return -1
        if value <= 0:
            raise _einval("%s %d: must be a positive number of bytes%s" % (what, value,
                                                                         " or -1 (unlimited)" if unlimited else ""))
        return value
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        if unlimited and value.strip() == "-1":
            return -1
        m = _SIZE_RE.match(value)
        if m and (m.group(3) is None or m.group(2) or m.group(3).lower() == "b"):
            n = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
            if n > 0:
                return n
        raise _einval("%s '%s': expected a size such as 512m, 1g, 1024k or bytes (units b, k, m, g)"
                      % (what, value))
    raise TypeError("%s: expected int bytes or a size string, not %s" % (what, type(value).__name__))


def _int(value, what):
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            if isinstance(value, (str, bytes)):
                return int(value)
        except ValueError:
            pass
        raise _einval("%s %r: expected an integer" % (what, value))
    return value


def resources(memory: Optional[Size] = None, memory_reservation: Optional[Size] = None,
              memory_swap: Optional[Size] = None, cpus: Optional[float] = None, cpu_shares: Optional[int] = None,
              cpu_quota: Optional[int] = None, cpu_period: Optional[int] = None, cpuset_cpus: Optional[str] = None,
              cpuset_mems: Optional[str] = None, pids_limit: Optional[int] = None,
              blkio_weight: Optional[int] = None) -> CgroupResources:
    """A berth_cgroup_resources (ctypes) from keywords; None leaves a field unset.

    memory, memory_reservation, memory_swap: bytes (int) or "512m"/"1g"
    strings, -1 for unlimited; memory_swap is memory plus swap (Docker's
    --memory-swap). cpus: a number of CPUs (0.5 -> quota 50000 per period
    100000), not together with cpu_quota/cpu_period. pids_limit: 0 or -1 for
    unlimited. cpuset_cpus/cpuset_mems: "0-1,3". The rest is checked by
    the library (InvalidArgument naming the field).

    The strings are referenced by the returned structure: keep it (it holds
    them in ._keep) while the library reads it."""
    r = cgroup_resources_defaults()
    keep = []
    if memory is not None:
        r.memory_limit = parse_size(memory, "memory")
    if memory_reservation is not None:
        r.memory_reservation = parse_size(memory_reservation, "memory_reservation")
    if memory_swap is not None:
        r.memory_swap = parse_size(memory_swap, "memory_swap")
    if cpus is not None:
        if cpu_quota is not None or cpu_period is not None:
            raise _einval("cpus: conflicting options: cpus and cpu_quota/cpu_period cannot both be set")
        try:
            n = float(cpus)
        except (TypeError, ValueError):
            raise _einval("cpus %r: expected a number of CPUs such as 0.5 or 2" % (cpus,)) from None
        ncpu = os.cpu_count() or 1
        quota = int(round(n * CPUS_PERIOD)) if n == n and n not in (float("inf"), float("-inf")) else 0
        if not (n > 0 and n <= ncpu) or quota < 1000:
            raise _einval("cpus %r: the range of CPUs is from 0.01 to %d.00 (this machine has %d)"
                          % (cpus, ncpu, ncpu))
        r.cpu_quota = quota
        r.cpu_period = CPUS_PERIOD
    if cpu_shares is not None:
        r.cpu_shares = _int(cpu_shares, "cpu_shares")
    if cpu_quota is not None:
        r.cpu_quota = _int(cpu_quota, "cpu_quota")
    if cpu_period is not None:
        r.cpu_period = _int(cpu_period, "cpu_period")
    if cpuset_cpus is not None:
        b = enc(str(cpuset_cpus) if isinstance(cpuset_cpus, int) else cpuset_cpus)
        keep.append(b)
        r.cpuset_cpus = b
    if cpuset_mems is not None:
        b = enc(str(cpuset_mems) if isinstance(cpuset_mems, int) else cpuset_mems)
        keep.append(b)
        r.cpuset_mems = b
    if pids_limit is not None:
        v = _int(pids_limit, "pids_limit")
        r.pids_limit = -1 if v <= 0 else v
    if blkio_weight is not None:
        r.blkio_weight = _int(blkio_weight, "blkio_weight")
    r._keep = keep
    return r


def check_keywords(kwargs, func):
    unknown = [k for k in kwargs if k not in RESOURCE_KEYS]
    if unknown:
        raise TypeError("%s() got an unexpected keyword argument %r" % (func, unknown[0]))


def resources_from(res=None, **kwargs):
    """A CgroupResources from one, or from keywords."""
    if res is not None:
        if kwargs:
            raise TypeError("give a CgroupResources or keywords, not both")
        if not isinstance(res, CgroupResources):
            raise TypeError("expected a berth._lib.CgroupResources, not %s" % type(res).__name__)
        return res
    return resources(**kwargs)


@dataclasses.dataclass(frozen=True)
class Stats:
    """berth_cgroup_stats: usage and limits at one moment (bytes, ns; -1: unlimited)."""
    memory_usage: int
    memory_peak: int
    memory_limit: int
    memory_oom_kills: int
    cpu_usage_ns: int
    cpu_user_ns: int
    cpu_system_ns: int
    cpu_throttled_periods: int
    cpu_throttled_ns: int
    pids_current: int
    pids_limit: int
    io_read_bytes: int
    io_write_bytes: int
    io_read_ops: int
    io_write_ops: int

    @classmethod
    def _from_c(cls, s):
        return cls(**{f.name: int(getattr(s, f.name)) for f in dataclasses.fields(cls)})

    def to_dict(self) -> Dict[str, int]:
        return dataclasses.asdict(self)

    def __getitem__(self, key: str) -> int:
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)

    def keys(self) -> List[str]:
        return [f.name for f in dataclasses.fields(self)]


def new_stats():
    s = CgroupStats()
    s.version = CGROUP_STATS_VERSION
    return s


def mode_name(code: int) -> str:
    return dec(lib.berth_cgroup_mode_name(int(code)))


def mode() -> str:
    """The host's cgroup mode: "v1", "hybrid", "v2" (or "none")."""
    m = c_int(0)
    lib.berth_cgroup_mode_detect(byref(m))
    return mode_name(m.value)


def mode_code() -> int:
    """The host's mode as berth.cgroup.MODE_*."""
    m = c_int(0)
    lib.berth_cgroup_mode_detect(byref(m))
    return m.value


class Cgroup(Handle):
    _FREE = "berth_cgroup_free"

    """A berth cgroup: the same path below a parent ("berth" by default) in
    every hierarchy. ``Cgroup.create(path, parent=None)`` makes (or opens) it,
    ``Cgroup.open(path, parent=None)`` opens an existing one (NotFound).
    Closing the handle (close(), with, garbage collection) leaves the cgroup;
    destroy() removes it (Busy while processes remain)."""

    def __init__(self, _handle: Any) -> None:
        self._h = _handle
        self._lock = threading.RLock()

    @classmethod
    def create(cls, path: str, parent: Optional[str] = None) -> Cgroup:
        h = CgroupP()
        lib.berth_cgroup_create(byref(h), enc(parent), enc(path))
        return cls(h)

    @classmethod
    def open(cls, path: str, parent: Optional[str] = None) -> Cgroup:
        h = CgroupP()
        lib.berth_cgroup_open(byref(h), enc(parent), enc(path))
        return cls(h)

    # --- lifetime ---
    def _handle(self):
        h = self._h
        if not h:
            raise errors.StateError(errors.ESTATE, 0, "cgroup: handle is closed")
        return h

    def close(self) -> None:
        """Frees the handle; the cgroup stays."""
        with self._lock:
            h, self._h = self._h, None
            if h:
                lib.berth_cgroup_free(h)


    def __repr__(self):
        if not self._h:
            return "<berth.cgroup.Cgroup (closed)>"
        return "<berth.cgroup.Cgroup %s (%s)>" % (self.path, self.mode)

    # --- properties ---
    @property
    def path(self) -> str:
        """The path below each hierarchy's root ("berth/<path>")."""
        with self._lock:
            return dec(lib.berth_cgroup_path(self._handle()))

    @property
    def mode(self) -> str:
        """"v1", "hybrid" or "v2"."""
        with self._lock:
            return mode_name(lib.berth_cgroup_get_mode(self._handle()))

    def unified_fd(self) -> Optional[int]:
        """An O_DIRECTORY fd of the cgroup in the unified hierarchy (the caller
        closes it), None on v1 hosts."""
        with self._lock:
            fd = lib.berth_cgroup_unified_fd(self._handle())
        return fd if fd >= 0 else None

    def directories(self) -> Dict[str, str]:
        """The cgroup's directories that exist: {hierarchy name: path}."""
        rel = self.path
        out = {}
        base = "/sys/fs/cgroup"
        if os.path.isfile(os.path.join(base, "cgroup.controllers")):
            p = os.path.join(base, rel)
            if os.path.isdir(p):
                out["unified"] = p
            return out
        try:
            names = os.listdir(base)
        except OSError:
            return out
        for n in names:
            p = os.path.join(base, n, rel)
            if not os.path.islink(os.path.join(base, n)) and os.path.isdir(p):
                out[n] = p
        return out

    # --- operations ---
    def attach(self, pid: int) -> Cgroup:
        """Moves process pid into the cgroup in every hierarchy."""
        with self._lock:
            lib.berth_cgroup_attach(self._handle(), int(pid))
        return self

    def set(self, res: Any = None, **kwargs: Any) -> Cgroup:
        """Writes limits: keywords as berth.cgroup.resources() (memory="64m",
        cpus=0.5, pids_limit=32, ...) or a CgroupResources."""
        check_keywords(kwargs, "set")
        r = resources_from(res, **kwargs)
        with self._lock:
            lib.berth_cgroup_set(self._handle(), byref(r))
        return self

    def set_json(self, resources_json: Union[str, Dict[str, Any]]) -> Cgroup:
        """Limits from an OCI linux.resources object (a dict or JSON text)."""
        if isinstance(resources_json, dict):
            resources_json = json.dumps(resources_json)
        with self._lock:
            lib.berth_cgroup_set_json(self._handle(), enc(resources_json))
        return self

    def stats(self) -> Stats:
        """A berth.cgroup.Stats."""
        s = new_stats()
        with self._lock:
            lib.berth_cgroup_stats_read(byref(s), self._handle())
        return Stats._from_c(s)

    def freeze(self) -> Cgroup:
        """Freezes every process (returns once the kernel says it is frozen)."""
        with self._lock:
            lib.berth_cgroup_freeze(self._handle(), 1)
        return self

    def thaw(self) -> Cgroup:
        with self._lock:
            lib.berth_cgroup_freeze(self._handle(), 0)
        return self

    @property
    def frozen(self) -> bool:
        v = c_int(0)
        with self._lock:
            lib.berth_cgroup_frozen(byref(v), self._handle())
        return bool(v.value)

    def kill(self) -> Cgroup:
        """SIGKILL to every process in it."""
        with self._lock:
            lib.berth_cgroup_kill(self._handle())
        return self

    def pids(self) -> List[int]:
        """The pids of the processes in it."""
        p = c_void_p()
        with self._lock:
            lib.berth_cgroup_pids(byref(p), self._handle())
        out: List[int] = []
        if not p:
            return out
        try:
            arr = cast(p, POINTER(c_int))
            i = 0
            while arr[i]:
                out.append(arr[i])
                i += 1
        finally:
            lib.berth_free(p)
        return out

    def destroy(self) -> Cgroup:
        """Removes it from every hierarchy (Busy if processes remain), then its
        empty berth parents. The handle stays to be closed."""
        with self._lock:
            lib.berth_cgroup_destroy(self._handle())
        return self


__all__ = ["Cgroup", "Stats", "mode", "mode_code", "mode_name", "resources", "parse_size", "RESOURCE_KEYS",
           "MODE_NONE", "MODE_V1", "MODE_HYBRID", "MODE_V2", "UNSET", "CGROUP_RESOURCES_VERSION"]
