# SPDX-License-Identifier: LGPL-2.1-or-later
"""Loading libberth.so.0 and the ctypes declaration of every exported function.

The library is found through $BERTH_LIBRARY (a path), else the one installed
with this package by `cmake --install` (-DBERTH_INSTALL_PYTHON=ON), else the
dynamic loader's default search for "libberth.so.0". Loading runs no code in the
library (it has no constructors); nothing else happens at import time.

Every function has argtypes and restype set from DECLARATIONS, which mirrors
include/berth/*.h. Functions that return a BERTH_E* code get an errcheck that
raises the matching BerthError subclass with berth_error_last() read right
after the call on the same thread (the error is per thread in C, and ctypes
runs errcheck on the calling thread before any other berth call).
"""

from __future__ import annotations

import ctypes
import os
# typing only for type checkers: importing it costs `import berth` ~10 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Optional, Sequence, Tuple
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_int, c_int64, c_size_t, c_uint, c_uint32,
                    c_uint64, c_ulong, c_void_p)

from . import errors

LIBRARY_ENV = "BERTH_LIBRARY"
LIBRARY_NAME = "libberth.so.0"

# --- constants (mirroring the headers) ---
CTX_OPTIONS_VERSION = 2
SIZE_UNLIMITED = (1 << 64) - 1  # BERTH_SIZE_UNLIMITED
CREATE_OPTIONS_VERSION = 2
LOG_READ_OPTIONS_VERSION = 1
LOG_RECORD_VERSION = 1
LOG_STDOUT, LOG_STDERR = 1, 2
LOG_PARTIAL = 1
LOG_FOLLOW = 1
EXEC_OPTIONS_VERSION = 1

LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG = 0, 1, 2, 3

STATUS_CREATING, STATUS_CREATED, STATUS_RUNNING, STATUS_PAUSED, STATUS_STOPPED = 0, 1, 2, 3, 4

STDIO_FDS, STDIO_LOG, STDIO_TERMINAL = 0, 1, 2

CREATE_DETACH = 1 << 0
CREATE_REMOVE = 1 << 1
CREATE_IN_PROCESS = 1 << 2
CREATE_START = 1 << 3
CREATE_IN_PROCESS = 1 << 2
DELETE_FORCE = 1 << 0
DELETE_VOLUMES = 1 << 1

# volume.h
VOLUME_PRUNE_ALL = 1 << 0

# cgroup.h
CGROUP_NONE, CGROUP_V1, CGROUP_HYBRID, CGROUP_V2 = 0, 1, 2, 3
CGROUP_UNSET = -(1 << 63)  # INT64_MIN
CGROUP_RESOURCES_VERSION = 1
CGROUP_STATS_VERSION = 1


# --- opaque handles: distinct pointer types so a spec cannot be passed as a ctx ---
class _Ctx(Structure):
    pass


class _Spec(Structure):
    pass


class _Container(Structure):
    pass


class _Process(Structure):
    pass


class _Cgroup(Structure):
    pass


CtxP = POINTER(_Ctx)
SpecP = POINTER(_Spec)
ContainerP = POINTER(_Container)
ProcessP = POINTER(_Process)
CgroupP = POINTER(_Cgroup)


class _Ref(Structure):
    pass


RefP = POINTER(_Ref)


class _Image(Structure):
    pass


ImageP = POINTER(_Image)


# --- public structs (exact C layout) ---
class ErrorInfo(Structure):
    """berth_error."""
    _fields_ = [
        ("code", c_int),
        ("sys_errno", c_int),
        ("message", c_char_p),
    ]


LOG_CB = CFUNCTYPE(None, c_int, c_char_p, c_void_p)


class CtxOptions(Structure):
    """berth_ctx_options."""
    _fields_ = [
        ("version", c_uint),
        ("root", c_char_p),
        ("run_root", c_char_p),
        ("log_cb", LOG_CB),
        ("log_payload", c_void_p),
        ("log_level", c_int),
        ("monitor_path", c_char_p),
        # version 2
        ("max_blob_size", c_uint64),
        ("max_image_size", c_uint64),
    ]


class CreateOptions(Structure):
    """berth_create_options."""
    _fields_ = [
        ("version", c_uint),
        ("id", c_char_p),
        ("name", c_char_p),
        ("flags", c_uint),
        ("stdio_mode", c_int),
        ("stdin_fd", c_int),
        ("stdout_fd", c_int),
        ("stderr_fd", c_int),
        # version 2
        ("log_driver", c_char_p),
        ("log_max_size", c_int64),
        ("log_max_file", c_int),
    ]


class LogReadOptions(Structure):
    """berth_log_read_options."""
    _fields_ = [
        ("version", c_uint),
        ("flags", c_uint),
        ("since_ns", c_int64),
        ("until_ns", c_int64),
        ("tail", c_int64),
    ]


class LogRecord(Structure):
    """berth_log_record (data borrowed until the next call on the reader)."""
    _fields_ = [
        ("version", c_uint),
        ("stream", c_int),
        ("flags", c_uint),
        ("time_ns", c_int64),
        ("data", c_void_p),
        ("len", c_size_t),
    ]


class _LogReader(Structure):
    pass


LogReaderP = POINTER(_LogReader)
LOG_RECORD_CB = CFUNCTYPE(c_int, POINTER(LogRecord), c_void_p)


class ExecOptions(Structure):
    """berth_exec_options."""
    _fields_ = [
        ("version", c_uint),
        ("args", POINTER(c_char_p)),
        ("env", POINTER(c_char_p)),
        ("cwd", c_char_p),
        ("user", c_char_p),
        ("stdio_mode", c_int),
        ("stdin_fd", c_int),
        ("stdout_fd", c_int),
        ("stderr_fd", c_int),
    ]


class CgroupResources(Structure):
    """berth_cgroup_resources. Fields left at CGROUP_UNSET (or None) are not touched."""
    _fields_ = [
        ("version", c_uint),
        ("memory_limit", c_int64),
        ("memory_reservation", c_int64),
        ("memory_swap", c_int64),
        ("cpu_shares", c_int64),
        ("cpu_quota", c_int64),
        ("cpu_period", c_int64),
        ("cpuset_cpus", c_char_p),
        ("cpuset_mems", c_char_p),
        ("pids_limit", c_int64),
        ("blkio_weight", c_int64),
    ]


class CgroupStats(Structure):
    """berth_cgroup_stats."""
    _fields_ = [
        ("version", c_uint),
        ("memory_usage", c_uint64),
        ("memory_peak", c_uint64),
        ("memory_limit", c_int64),
        ("memory_oom_kills", c_uint64),
        ("cpu_usage_ns", c_uint64),
        ("cpu_user_ns", c_uint64),
        ("cpu_system_ns", c_uint64),
        ("cpu_throttled_periods", c_uint64),
        ("cpu_throttled_ns", c_uint64),
        ("pids_current", c_uint64),
        ("pids_limit", c_int64),
        ("io_read_bytes", c_uint64),
        ("io_write_bytes", c_uint64),
        ("io_read_ops", c_uint64),
        ("io_write_ops", c_uint64),
    ]


def cgroup_resources_defaults():
    """BERTH_CGROUP_RESOURCES_INIT."""
    u = CGROUP_UNSET
    return CgroupResources(CGROUP_RESOURCES_VERSION, u, u, u, u, u, u, None, None, u, u)


def ctx_options_defaults():
    """BERTH_CTX_OPTIONS_INIT."""
    return CtxOptions(CTX_OPTIONS_VERSION, None, None, LOG_CB(), None, LOG_WARN, None, 0, 0)


def create_options_defaults():
    """BERTH_CREATE_OPTIONS_INIT."""
    return CreateOptions(CREATE_OPTIONS_VERSION, None, None, 0, STDIO_FDS, -1, -1, -1, None, 0, 0)


def exec_options_defaults():
    """BERTH_EXEC_OPTIONS_INIT."""
    return ExecOptions(EXEC_OPTIONS_VERSION, None, None, None, None, STDIO_FDS, -1, -1, -1)


PULL_OPTIONS_VERSION = 2
PULL_PROGRESS = CFUNCTYPE(None, c_char_p, c_int, c_uint64, c_uint64, c_void_p)
PROGRESS_CB = CFUNCTYPE(c_int, c_char_p, c_int, c_uint64, c_uint64, c_void_p)  # 0.2: non-zero stops


class PullOptions(Structure):
    """berth_pull_options."""
    _fields_ = [("version", c_uint), ("platform", c_char_p), ("tls_verify", c_int), ("username", c_char_p),
                ("password", c_char_p), ("progress", PULL_PROGRESS), ("payload", c_void_p),
                ("on_progress", PROGRESS_CB)]


BUILD_OPTIONS_VERSION = 2
BUILD_STEP, BUILD_OUTPUT, BUILD_CACHED, BUILD_INFO, BUILD_WARNING = 0, 1, 2, 3, 4
BUILD_NO_CACHE = 1 << 0
BUILD_PULL = 1 << 1
BUILD_OUTPUT_CB = CFUNCTYPE(None, c_int, c_void_p, c_size_t, c_void_p)
BUILD_EVENT_CB = CFUNCTYPE(c_int, c_int, c_void_p, c_size_t, c_void_p)  # 0.2: non-zero stops the build


class BuildOptions(Structure):
    """berth_build_options."""
    _fields_ = [("version", c_uint), ("dockerfile", c_char_p), ("dockerfile_text", c_char_p),
                ("tags", POINTER(c_char_p)), ("build_args", POINTER(c_char_p)), ("target", c_char_p),
                ("flags", c_uint), ("platform", c_char_p), ("tls_verify", c_int), ("output", BUILD_OUTPUT_CB),
                ("payload", c_void_p), ("exit_code", c_int), ("steps_run", c_uint), ("steps_cached", c_uint),
                ("cancel", POINTER(c_int)), ("on_output", BUILD_EVENT_CB)]


BUILD_RESULT_VERSION = 1


class BuildResult(Structure):
    """berth_build_result (what berth_build_image did)."""
    _fields_ = [("version", c_uint), ("exit_code", c_int), ("steps_run", c_uint), ("steps_cached", c_uint)]
PUSH_OPTIONS_VERSION = 2


class PushOptions(Structure):
    """berth_push_options."""
    _fields_ = [("version", c_uint), ("tls_verify", c_int), ("username", c_char_p), ("password", c_char_p),
                ("chunk_size", c_uint64), ("mount_from", c_char_p), ("progress", PULL_PROGRESS),
                ("payload", c_void_p), ("on_progress", PROGRESS_CB)]


ARCHIVE_DOCKER = 0
ARCHIVE_OCI = 1
# net.h
PROTO_TCP, PROTO_UDP = 0, 1
NETWORK_OPTIONS_VERSION = 1


class _Port(Structure):
    """berth_port: opaque since 0.2 (include/berth/port.h)."""


class _PortList(Structure):
    """berth_port_list (opaque)."""


PortP = POINTER(_Port)
PortListP = POINTER(_PortList)


class NetworkOptions(Structure):
    """berth_network_options."""
    _fields_ = [("version", c_uint), ("subnet", c_char_p), ("gateway", c_char_p), ("bridge", c_char_p)]


# --- declarations ---
# name: (restype, argtypes, checked). checked: the int result is 0 or a
# negative BERTH_E* code, and a negative one raises.
_I = c_int
_S = c_char_p
_STRV = POINTER(c_char_p)     # const char *const * (NULL-terminated)
_OUTSTR = POINTER(c_void_p)   # char ** (freed with berth_free; not c_char_p, which would lose the pointer)
_OUTSTRV = POINTER(c_void_p)  # char *** (one block, freed with one berth_free)
_OUTI = POINTER(c_int)

DECLARATIONS: Dict[str, Tuple[Any, Sequence[Any], bool]] = {
    # common.h
    "berth_error_last": (POINTER(ErrorInfo), [], False),
    "berth_error_clear": (None, [], False),
    "berth_strerror": (_S, [c_int], False),
    "berth_free": (None, [c_void_p], False),
    "berth_version": (_S, [], False),
    # context.h
    "berth_ctx_options_init": (_I, [POINTER(CtxOptions), c_uint], True),
    "berth_ctx_new": (_I, [POINTER(CtxP), POINTER(CtxOptions)], True),
    "berth_ctx_free": (None, [CtxP], False),
    "berth_ctx_root": (_S, [CtxP], False),
    "berth_ctx_run_root": (_S, [CtxP], False),
    "berth_ctx_max_blob_size": (c_uint64, [CtxP], False),
    "berth_ctx_max_image_size": (c_uint64, [CtxP], False),
    # spec.h
    "berth_spec_new": (_I, [POINTER(SpecP)], True),
    "berth_spec_parse": (_I, [POINTER(SpecP), c_char_p, c_size_t], True),
    "berth_spec_load": (_I, [POINTER(SpecP), c_char_p], True),
    "berth_spec_to_json": (_I, [_OUTSTR, SpecP], True),
    "berth_spec_save": (_I, [SpecP, c_char_p], True),
    "berth_spec_copy": (_I, [POINTER(SpecP), SpecP], True),
    "berth_spec_free": (None, [SpecP], False),
    "berth_spec_validate": (_I, [SpecP], True),
    "berth_spec_set_args": (_I, [SpecP, _STRV], True),
    "berth_spec_set_env": (_I, [SpecP, _STRV], True),
    "berth_spec_setenv": (_I, [SpecP, c_char_p], True),
    "berth_spec_set_cwd": (_I, [SpecP, c_char_p], True),
    "berth_spec_set_user": (_I, [SpecP, c_uint32, c_uint32, POINTER(c_uint32), c_size_t], True),
    "berth_spec_set_user_name": (_I, [SpecP, _STRV, c_char_p], True),
    "berth_spec_set_terminal": (_I, [SpecP, c_int], True),
    "berth_spec_set_rlimit": (_I, [SpecP, c_char_p, c_uint64, c_uint64], True),
    "berth_spec_set_no_new_privileges": (_I, [SpecP, c_int], True),
    "berth_spec_set_oom_score_adj": (_I, [SpecP, c_int], True),
    "berth_spec_cap_add": (_I, [SpecP, c_char_p], True),
    "berth_spec_cap_drop": (_I, [SpecP, c_char_p], True),
    "berth_spec_set_rootfs": (_I, [SpecP, c_char_p, c_int], True),
    "berth_spec_set_hostname": (_I, [SpecP, c_char_p], True),
    "berth_spec_add_mount": (_I, [SpecP, c_char_p, c_char_p, c_char_p, _STRV], True),
    "berth_spec_add_bind": (_I, [SpecP, c_char_p, c_char_p, c_int], True),
    "berth_spec_add_volume_arg": (_I, [SpecP, c_char_p], True),
    "berth_spec_add_volume": (_I, [SpecP, c_char_p, c_char_p, c_int], True),
    "berth_spec_set_namespace": (_I, [SpecP, c_int, c_char_p], True),
    "berth_spec_remove_namespace": (_I, [SpecP, c_int], True),
    "berth_spec_add_id_mapping": (_I, [SpecP, c_int, c_uint32, c_uint32, c_uint32], True),
    "berth_spec_set_seccomp_json": (_I, [SpecP, c_char_p], True),
    "berth_spec_set_seccomp_file": (_I, [SpecP, c_char_p], True),
    "berth_spec_set_seccomp_default": (_I, [SpecP], True),
    "berth_spec_set_privileged": (_I, [SpecP, c_int], True),
    "berth_spec_set_sysctl": (_I, [SpecP, c_char_p, c_char_p], True),
    "berth_spec_set_annotation": (_I, [SpecP, c_char_p, c_char_p], True),
    "berth_spec_set_resources": (_I, [SpecP, POINTER(CgroupResources)], True),
    "berth_spec_set_cgroup_parent": (_I, [SpecP, c_char_p], True),
    "berth_spec_get": (_I, [_OUTSTR, SpecP, c_char_p], True),
    # namespace.h
    "berth_ns_type_name": (_S, [c_int], False),
    "berth_ns_type_from_name": (_I, [_OUTI, c_char_p], True),
    "berth_ns_clone_flag": (c_ulong, [c_int], False),
    "berth_ns_unshare": (_I, [c_uint], True),
    "berth_ns_join": (_I, [c_char_p, c_int], True),
    "berth_ns_open": (_I, [_OUTI, c_int, c_int], True),
    "berth_ns_loopback_up": (_I, [], True),
    # container.h
    "berth_status_name": (_S, [c_int], False),
    "berth_create_options_init": (_I, [POINTER(CreateOptions), c_uint], True),
    "berth_container_create": (_I, [POINTER(ContainerP), CtxP, SpecP, POINTER(CreateOptions)], True),
    # log.h
    "berth_log_read_options_init": (_I, [POINTER(LogReadOptions), c_uint], True),
    "berth_log_reader_open": (_I, [POINTER(LogReaderP), ContainerP, POINTER(LogReadOptions)], True),
    "berth_log_reader_next": (_I, [POINTER(LogRecord), LogReaderP, c_int], True),
    "berth_log_reader_free": (None, [LogReaderP], False),
    "berth_container_logs": (_I, [ContainerP, POINTER(LogReadOptions), LOG_RECORD_CB, c_void_p], True),
    "berth_log_parse_time": (_I, [POINTER(c_int64), c_char_p, c_int64], True),
    "berth_container_start": (_I, [ContainerP], True),
    "berth_container_run": (_I, [POINTER(ContainerP), CtxP, SpecP, POINTER(CreateOptions)], True),
    "berth_container_open": (_I, [POINTER(ContainerP), CtxP, c_char_p], True),
    "berth_container_free": (None, [ContainerP], False),
    "berth_container_wait": (_I, [_OUTI, _OUTI, ContainerP, c_int], True),
    "berth_container_kill": (_I, [ContainerP, c_int, c_int], True),
    "berth_container_stop": (_I, [ContainerP, c_int], True),
    "berth_container_delete": (_I, [ContainerP, c_uint], True),
    "berth_container_pause": (_I, [ContainerP], True),
    "berth_container_resume": (_I, [ContainerP], True),
    "berth_container_update": (_I, [ContainerP, POINTER(CgroupResources)], True),
    "berth_container_stats": (_I, [POINTER(CgroupStats), ContainerP], True),
    "berth_container_oom_killed": (c_int, [ContainerP], False),
    "berth_container_cgroup": (_I, [POINTER(CgroupP), ContainerP], True),
    "berth_container_refresh": (_I, [ContainerP], True),
    "berth_container_id": (_S, [ContainerP], False),
    "berth_container_name": (_S, [ContainerP], False),
    "berth_container_status": (c_int, [ContainerP], False),
    "berth_container_pid": (c_int, [ContainerP], False),
    "berth_container_exit_code": (c_int, [ContainerP], False),
    "berth_container_log_path": (_S, [ContainerP], False),
    "berth_container_inspect": (_I, [_OUTSTR, ContainerP], True),
    "berth_container_spec": (_I, [POINTER(SpecP), ContainerP], True),
    "berth_container_take_console": (_I, [_OUTI, ContainerP], True),
    "berth_container_attach": (_I, [_OUTI, _OUTI, ContainerP], True),
    "berth_container_list": (_I, [_OUTSTRV, CtxP], True),
    # net.h
    # port.h (0.2: an opaque port; the 0.1 struct functions are versioned BERTH_0.1)
    "berth_port_new": (_I, [POINTER(PortP), c_uint, c_int], True),
    "berth_port_dup": (_I, [POINTER(PortP), PortP], True),
    "berth_port_free": (None, [PortP], False),
    "berth_port_set_host_ip": (_I, [PortP, c_char_p], True),
    "berth_port_set_host_port": (_I, [PortP, c_uint, c_uint], True),
    "berth_port_host_ip": (_S, [PortP], False),
    "berth_port_host_port": (c_uint, [PortP], False),
    "berth_port_host_port_end": (c_uint, [PortP], False),
    "berth_port_container_port": (c_uint, [PortP], False),
    "berth_port_protocol": (c_int, [PortP], False),
    "berth_port_list_count": (c_size_t, [PortListP], False),
    "berth_port_list_get": (PortP, [PortListP, c_size_t], False),
    "berth_port_list_free": (None, [PortListP], False),
    "berth_port_parse": (_I, [POINTER(PortListP), c_char_p], True),
    "berth_port_format": (_I, [_OUTSTR, PortP], True),
    "berth_spec_set_network": (_I, [SpecP, c_char_p], True),
    "berth_spec_set_dns": (_I, [SpecP, _STRV], True),
    "berth_spec_add_port": (_I, [SpecP, PortP], True),
    "berth_container_ports": (_I, [POINTER(PortListP), ContainerP], True),
    "berth_container_add_port": (_I, [ContainerP, PortP], True),
    "berth_container_remove_port": (_I, [ContainerP, PortP], True),
    "berth_container_serve_ports": (_I, [ContainerP], True),
    # container.h, BERTH_0.2: supervision of a container whose monitor died
    "berth_container_supervised": (c_int, [ContainerP], False),
    "berth_container_supervise": (_I, [ContainerP], True),
    "berth_container_adopt": (_I, [ContainerP], True),
    # BERTH_0.2 (issue 11): berth's own settings of a spec and a container, typed
    "berth_spec_network": (_S, [SpecP], False),
    "berth_spec_image": (_S, [SpecP], False),
    "berth_spec_ports": (_I, [POINTER(PortListP), SpecP], True),
    "berth_container_image": (_S, [ContainerP], False),
    "berth_container_network": (_S, [ContainerP], False),
    "berth_network_options_init": (_I, [POINTER(NetworkOptions), c_uint], True),
    "berth_network_create": (_I, [CtxP, c_char_p, POINTER(NetworkOptions)], True),
    "berth_network_remove": (_I, [CtxP, c_char_p], True),
    "berth_network_list": (_I, [_OUTSTRV, CtxP], True),
    "berth_network_inspect": (_I, [_OUTSTR, CtxP, c_char_p], True),
    "berth_exec_options_init": (_I, [POINTER(ExecOptions), c_uint], True),
    "berth_container_exec": (_I, [POINTER(ProcessP), ContainerP, POINTER(ExecOptions)], True),
    "berth_process_wait": (_I, [_OUTI, _OUTI, ProcessP, c_int], True),
    "berth_process_kill": (_I, [ProcessP, c_int], True),
    "berth_process_pid": (c_int, [ProcessP], False),
    "berth_process_take_console": (_I, [_OUTI, ProcessP], True),
    "berth_process_free": (None, [ProcessP], False),
    # cgroup.h
    "berth_cgroup_mode_detect": (_I, [_OUTI], True),
    "berth_cgroup_mode_name": (_S, [c_int], False),
    "berth_cgroup_resources_init": (_I, [POINTER(CgroupResources), c_uint], True),
    "berth_cgroup_create": (_I, [POINTER(CgroupP), c_char_p, c_char_p], True),
    "berth_cgroup_open": (_I, [POINTER(CgroupP), c_char_p, c_char_p], True),
    "berth_cgroup_free": (None, [CgroupP], False),
    "berth_cgroup_path": (_S, [CgroupP], False),
    "berth_cgroup_get_mode": (c_int, [CgroupP], False),
    "berth_cgroup_unified_fd": (c_int, [CgroupP], False),
    "berth_cgroup_attach": (_I, [CgroupP, c_int], True),
    "berth_cgroup_set": (_I, [CgroupP, POINTER(CgroupResources)], True),
    "berth_cgroup_set_json": (_I, [CgroupP, c_char_p], True),
    "berth_cgroup_stats_read": (_I, [POINTER(CgroupStats), CgroupP], True),
    "berth_cgroup_freeze": (_I, [CgroupP, c_int], True),
    "berth_cgroup_frozen": (_I, [_OUTI, CgroupP], True),
    "berth_cgroup_kill": (_I, [CgroupP], True),
    "berth_cgroup_pids": (_I, [POINTER(c_void_p), CgroupP], True),  # int ** (0-terminated, berth_free)
    "berth_cgroup_destroy": (_I, [CgroupP], True),
    # image.h (references)
    "berth_ref_parse": (_I, [POINTER(RefP), c_char_p], True),
    "berth_ref_free": (None, [RefP], False),
    "berth_ref_domain": (_S, [RefP], False),
    "berth_ref_path": (_S, [RefP], False),
    "berth_ref_tag": (_S, [RefP], False),
    "berth_ref_digest": (_S, [RefP], False),
    "berth_ref_string": (_S, [RefP], False),
    "berth_ref_familiar": (_S, [RefP], False),
    "berth_ref_registry": (_S, [RefP], False),
    # image.h (the store)
    "berth_image_import": (_I, [POINTER(ImageP), CtxP, c_char_p, c_char_p], True),
    "berth_image_open": (_I, [POINTER(ImageP), CtxP, c_char_p], True),
    "berth_image_free": (None, [ImageP], False),
    "berth_image_id": (_S, [ImageP], False),
    "berth_image_inspect": (_I, [_OUTSTR, ImageP], True),
    "berth_image_config": (_I, [_OUTSTR, ImageP], True),
    "berth_image_layer_dirs": (_I, [_OUTSTRV, ImageP], True),
    "berth_image_list": (_I, [_OUTSTRV, CtxP], True),
    "berth_image_tags": (_I, [_OUTSTRV, ImageP], True),
    "berth_image_tag": (_I, [CtxP, c_char_p, c_char_p], True),
    "berth_image_remove": (_I, [CtxP, c_char_p, c_uint], True),
    "berth_image_prune": (_I, [POINTER(c_uint64), CtxP], True),
    "berth_pull_options_init": (_I, [POINTER(PullOptions), c_uint], True),
    "berth_image_pull": (_I, [POINTER(ImageP), CtxP, c_char_p, POINTER(PullOptions)], True),
    # build.h
    "berth_build_options_init": (_I, [POINTER(BuildOptions), c_uint], True),
    "berth_build": (_I, [POINTER(ImageP), CtxP, c_char_p, POINTER(BuildOptions)], True),
    "berth_build_image": (_I, [POINTER(ImageP), POINTER(BuildResult), CtxP, c_char_p, POINTER(BuildOptions)], True),
    "berth_push_options_init": (_I, [POINTER(PushOptions), c_uint], True),
    "berth_image_push": (_I, [_OUTSTR, CtxP, c_char_p, c_char_p, POINTER(PushOptions)], True),
    "berth_registry_login": (_I, [CtxP, c_char_p, c_char_p, c_char_p, c_int], True),
    "berth_registry_logout": (_I, [CtxP, c_char_p], True),
    "berth_image_save": (_I, [CtxP, _STRV, c_int, c_int], True),
    "berth_image_load": (_I, [_OUTSTRV, CtxP, c_int], True),
    # spec.h (images)
    "berth_spec_set_image": (_I, [SpecP, ImageP, c_char_p, _STRV], True),
    # volume.h
    "berth_volume_create": (_I, [_OUTSTR, CtxP, c_char_p], True),
    "berth_volume_remove": (_I, [CtxP, c_char_p, c_uint], True),
    "berth_volume_list": (_I, [_OUTSTRV, CtxP], True),
    "berth_volume_inspect": (_I, [_OUTSTR, CtxP, c_char_p], True),
    "berth_volume_prune": (_I, [_OUTSTRV, POINTER(c_uint64), CtxP, c_uint], True),
}


def _installed_library():
    """The libberth.so.0 that `cmake --install` put beside this package
    (-DBERTH_INSTALL_PYTHON=ON writes _install.py), or None."""
    try:
        from ._install import LIBDIR_FROM_PACKAGE  # type: ignore[import]  # written by cmake --install
    except ImportError:
        return None
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), LIBDIR_FROM_PACKAGE, LIBRARY_NAME)
    return path if os.path.exists(path) else None


def _load():
    path = os.environ.get(LIBRARY_ENV) or _installed_library() or LIBRARY_NAME
    try:
        return ctypes.CDLL(path), path
    except OSError as e:
        raise ImportError("berth: cannot load %s (%s); set $%s to the path of libberth.so.0"
                          % (path, e, LIBRARY_ENV)) from e


cdll, path = _load()

# Names declared here but absent from the loaded library (an older build).
# Calling one raises Unsupported.
MISSING = []


def _decode(b):
    return b.decode("utf-8", "surrogateescape") if b is not None else None


def strerror(code):
    """berth_strerror(): a static description of a BERTH_E* code."""
    return _decode(_strerror(code)) if _strerror is not None else "error %d" % code


def last_error(rc, func_name=None):
    """The exception for a failing call that returned rc, from the calling
    thread's berth_error_last(). Call right after the failing call."""
    code, sys_errno, msg = rc, 0, ""
    if _error_last is not None:
        p = _error_last()
        if p:
            e = p.contents
            sys_errno = e.sys_errno
            msg = _decode(e.message) or ""
    if not msg:
        msg = "%s: %s" % (func_name or "berth", strerror(rc))
    return errors.make_error(code, sys_errno, msg)


class CallbackGuard:
    """Runs a Python callback on behalf of a 0.2 C callback that may stop the
    operation: the callback returning True (only True: a 0.1 callback's None,
    or the count sys.stdout.write returns, goes on) or raising stops it (the C
    callback returns 1, the call fails with BERTH_ECANCELED). An exception is
    kept: run the call under ``with guard:`` and berth.Canceled gets it as
    __cause__ (KeyboardInterrupt and SystemExit are raised as they are)."""

    def __init__(self) -> None:
        self.error: Optional[BaseException] = None

    def call(self, fn: Callable[..., Any], *args: Any) -> int:
        if self.error is not None:
            return 1
        try:
            return 1 if fn(*args) is True else 0
        except BaseException as e:  # an exception cannot cross into C: kept for the caller
            self.error = e
            return 1

    def __enter__(self) -> "CallbackGuard":
        return self

    def __exit__(self, typ: Any, exc: Any, tb: Any) -> None:
        if self.error is None or not isinstance(exc, errors.Canceled):
            return
        if not isinstance(self.error, Exception):
            raise self.error
        raise exc from self.error


def _errcheck(result, func, args):
    if result < 0:
        raise last_error(result, getattr(func, "__name__", None))
    return result


class _Missing:
    def __init__(self, name):
        self.__name__ = name
        self.argtypes = None
        self.restype = None

    def __call__(self, *args):
        raise errors.Unsupported(errors.EUNSUPPORTED, 0,
                                 "%s: not in %s (library too old or not fully built)" % (self.__name__, path))


class _Functions:
    """Attribute access to the declared functions: lib.berth_spec_new(...)."""

    def __getattr__(self, name: str) -> Any:  # the declared ones are set below; for type checkers
        raise AttributeError(name)


lib = _Functions()

for _name, (_restype, _argtypes, _checked) in DECLARATIONS.items():
    try:
        _f = getattr(cdll, _name)
    except AttributeError:
        MISSING.append(_name)
        setattr(lib, _name, _Missing(_name))
        continue
    _f.restype = _restype
    _f.argtypes = list(_argtypes)
    if _checked:
        _f.errcheck = _errcheck
    setattr(lib, _name, _f)

_error_last = getattr(cdll, "berth_error_last", None) if "berth_error_last" not in MISSING else None
_strerror = getattr(cdll, "berth_strerror", None) if "berth_strerror" not in MISSING else None


# --- helpers for the wrappers ---
def enc(s):
    """str / bytes / os.PathLike -> bytes (None stays None)."""
    if s is None:
        return None
    if isinstance(s, bytes):
        return s
    if isinstance(s, str):
        return s.encode("utf-8", "surrogateescape")
    if isinstance(s, os.PathLike):
        return os.fsencode(s)
    raise TypeError("expected str, bytes or os.PathLike, not %s" % type(s).__name__)


dec = _decode


def strv(items):
    """A NULL-terminated char* array from an iterable of str/bytes. Returns
    the ctypes array (keep it alive for the call)."""
    encoded = [enc(i) for i in items]
    for e in encoded:
        if b"\0" in e:
            raise errors.InvalidArgument(errors.EINVAL, 0, "string contains a NUL byte: %r" % e)
    arr = (c_char_p * (len(encoded) + 1))(*encoded, None)
    return arr


def take_string(ptr):
    """Copies a library-allocated char* (a c_void_p) and berth_free()s it."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr)
    finally:
        lib.berth_free(ptr)


def take_strv(ptr):
    """Copies a library-allocated NULL-terminated char** and frees it with one berth_free()."""
    if not ptr:
        return []
    out = []
    try:
        arr = ctypes.cast(ptr, POINTER(c_void_p))
        i = 0
        while arr[i]:
            out.append(ctypes.string_at(arr[i]))
            i += 1
    finally:
        lib.berth_free(ptr)
    return out
