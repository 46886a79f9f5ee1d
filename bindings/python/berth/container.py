# SPDX-License-Identifier: LGPL-2.1-or-later
"""berth.Container and berth.Process: the container lifecycle and exec.

A libberth container handle must not be used from two threads at once; each
Container serialises its calls with a lock. wait() waits in short slices so
that kill(), stop() and status from other threads are not held up while one
thread waits.
"""

from __future__ import annotations

import json
import math
import os
import select
import signal as _signal
import threading
import time
import weakref
from ctypes import byref, c_int, c_void_p

from . import errors
from ._handle import Handle
from .errors import ContainerError

# typing only for type checkers: importing it costs `import berth` ~10 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Optional, Tuple
    from . import cgroup as _cgroup_t, net as _net_t
    from ._types import Args, Env, PortArg, Sig, Stdio, User
    from .context import Context
    from .spec import Spec
from .logs import LogIterator
from ._lib import (CgroupP, ExecOptions, ProcessP, SpecP, EXEC_OPTIONS_VERSION, STATUS_PAUSED, STDIO_FDS,
                   STDIO_TERMINAL, DELETE_FORCE, DELETE_VOLUMES, dec, enc, lib, strv, take_string)

# subprocess-compatible stdio constants.
PIPE = -1
STDOUT = -2
DEVNULL = -3

# How long, after the process has exited, captured output is still read
# before giving up on EOF (a background process of an exec may hold the pipe).
OUTPUT_GRACE = 2.0

_WAIT_SLICE = 0.1


def signal_number(sig):
    """signal.SIGTERM, 15, "SIGTERM" or "TERM" -> 15."""
    if isinstance(sig, str):
        name = sig.upper()
        if not name.startswith("SIG"):
            name = "SIG" + name
        try:
            return int(getattr(_signal.Signals, name))
        except AttributeError:
            raise errors.InvalidArgument(errors.EINVAL, 0, "signal %r: unknown" % sig) from None
    return int(sig)


def _fileno(f, what):
    if isinstance(f, bool):
        raise TypeError("%s: expected an fd or a file object" % what)
    if isinstance(f, int):
        return f
    if hasattr(f, "fileno"):
        return f.fileno()
    raise TypeError("%s: expected None, an fd, a file object, PIPE or DEVNULL, not %s" % (what, type(f).__name__))


class _Stdio:
    """The fds a container or exec process gets, plus the pipes and threads
    that feed stdin bytes and capture stdout/stderr."""

    def __init__(self, stdin=None, stdout=None, stderr=None, capture_output=False, input=None,
                 allow_pipes=True):
        self.fds = [-1, -1, -1]
        self._child_ends = []
        self._out = {}          # read fd -> (1 or 2, [chunks])
        self._captured = {}     # 1/2 -> bytes
        self._reader = None
        self._writer = None
        self._stdin_w = -1
        self._stdin_data = None
        self._stop_at = None
        try:
            self._setup(stdin, stdout, stderr, capture_output, input, allow_pipes)
        except BaseException:
            self._close_all()
            raise

    def _pipe(self):
        return os.pipe2(os.O_CLOEXEC)

    def _setup(self, stdin, stdout, stderr, capture_output, input, allow_pipes):
        if capture_output:
            if stdout is not None or stderr is not None:
                raise ValueError("stdout and stderr may not be given with capture_output")
            stdout = stderr = PIPE
        if input is not None:
            if stdin is not None:
                raise ValueError("stdin and input may not both be given")
            stdin = input
        if isinstance(stdin, str):
            stdin = stdin.encode()
        if isinstance(stdin, (bytes, bytearray, memoryview)):
            if not allow_pipes:
                raise ValueError("stdin bytes need run() or exec(); give an fd here")
            r, w = self._pipe()
            self.fds[0] = r
            self._child_ends.append(r)
            self._stdin_w = w
            self._stdin_data = bytes(stdin)
        elif stdin is None or stdin == DEVNULL:
            pass
        elif stdin == PIPE:
            raise ValueError("stdin=PIPE is not supported; pass bytes (or input=) or an fd")
        else:
            self.fds[0] = _fileno(stdin, "stdin")

        for i, spec, what in ((1, stdout, "stdout"), (2, stderr, "stderr")):
            if spec is None or spec == DEVNULL:
                continue
            if spec == PIPE:
                if not allow_pipes:
                    raise ValueError("%s=PIPE/capture_output needs run() or exec(); use logs() or an fd" % what)
                r, w = self._pipe()
                self.fds[i] = w
                self._child_ends.append(w)
                self._out[r] = (i, [])
            elif spec == STDOUT and i == 2:
                self.fds[2] = self.fds[1]
            else:
                self.fds[i] = _fileno(spec, what)
        if self._out:
            self._reader = threading.Thread(target=self._read_loop, name="berth-output", daemon=True)
            self._reader.start()

    # --- threads ---
    def _read_loop(self):
        poller = select.poll()
        for fd in self._out:
            poller.register(fd, select.POLLIN)
        live = set(self._out)
        while live:
            stop_at = self._stop_at
            if stop_at is not None and time.monotonic() >= stop_at:
                for fd in live:
                    self._drain(fd)
                return
            for fd, _ev in poller.poll(100):
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    data = b""
                if data:
                    self._out[fd][1].append(data)
                else:
                    poller.unregister(fd)
                    live.discard(fd)

    def _drain(self, fd):
        try:
            os.set_blocking(fd, False)
            while True:
                data = os.read(fd, 65536)
                if not data:
                    return
                self._out[fd][1].append(data)
        except OSError:
            pass

    def _write_loop(self):
        w, data = self._stdin_w, memoryview(self._stdin_data)
        try:
            while data:
                n = os.write(w, data)
                data = data[n:]
        except OSError:  # EPIPE: the process did not read it all
            pass
        finally:
            self._stdin_w = -1
            os.close(w)

    # --- lifecycle ---
    def _close_child_ends(self):
        for fd in self._child_ends:
            try:
                os.close(fd)
            except OSError:
                pass
        self._child_ends = []

    def spawned(self):
        """The library has dup'ed the fds: close our copies of the child's ends
        and start feeding stdin."""
        self._close_child_ends()
        if self._stdin_data is not None:
            self._writer = threading.Thread(target=self._write_loop, name="berth-input", daemon=True)
            self._writer.start()

    def failed(self):
        """Nothing was spawned: release everything."""
        self._close_child_ends()
        self._close_all()

    def finish(self, grace=OUTPUT_GRACE):
        """The process has exited: collect the output. Returns (stdout, stderr),
        None for a stream that was not captured."""
        self._close_child_ends()
        if self._writer is not None:
            self._writer.join(grace)
        if self._reader is not None:
            self._stop_at = time.monotonic() + grace
            self._reader.join()
            self._reader = None
            for fd, (i, chunks) in self._out.items():
                self._captured[i] = b"".join(chunks)
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._out = {}
        return self._captured.get(1), self._captured.get(2)

    def _close_all(self):
        self._close_child_ends()
        if self._stdin_w >= 0 and self._writer is None:
            os.close(self._stdin_w)
            self._stdin_w = -1
        if self._reader is not None:
            self._stop_at = time.monotonic()
            self._reader.join()
            self._reader = None
        for fd in self._out:
            try:
                os.close(fd)
            except OSError:
                pass
        self._out = {}


class CompletedContainer:
    """What Context.run() returns."""

    __slots__ = ("exit_code", "signal", "stdout", "stderr", "id", "name", "args")

    def __init__(self, exit_code: int, signal: int, stdout: Optional[bytes], stderr: Optional[bytes], id: str,
                 name: Optional[str] = None, args: Optional[List[Any]] = None) -> None:
        self.exit_code = exit_code
        self.signal = signal
        self.stdout = stdout
        self.stderr = stderr
        self.id = id
        self.name = name
        self.args = args

    @property
    def returncode(self) -> int:
        return self.exit_code

    def check_returncode(self) -> CompletedContainer:
        if self.exit_code != 0:
            raise ContainerError(self)
        return self

    def __repr__(self) -> str:
        parts = ["exit_code=%d" % self.exit_code]
        if self.signal:
            parts.append("signal=%d" % self.signal)
        if self.stdout is not None:
            parts.append("stdout=%r" % self.stdout)
        if self.stderr is not None:
            parts.append("stderr=%r" % self.stderr)
        parts.append("id=%r" % self.id)
        return "CompletedContainer(%s)" % ", ".join(parts)


class ExecResult:
    """What Container.exec() returns."""

    __slots__ = ("exit_code", "signal", "stdout", "stderr", "pid", "args")

    def __init__(self, exit_code: int, signal: int, stdout: Optional[bytes], stderr: Optional[bytes],
                 pid: Optional[int] = None, args: Optional[List[Any]] = None) -> None:
        self.exit_code = exit_code
        self.signal = signal
        self.stdout = stdout
        self.stderr = stderr
        self.pid = pid
        self.args = args

    @property
    def returncode(self) -> int:
        return self.exit_code

    def check_returncode(self) -> ExecResult:
        if self.exit_code != 0:
            raise ContainerError(self)
        return self

    def __repr__(self) -> str:
        return "ExecResult(exit_code=%d, signal=%d, stdout=%r, stderr=%r)" % (
            self.exit_code, self.signal, self.stdout, self.stderr)


def _sliced_wait(waitfn, lock, get_handle, timeout):
    """Calls waitfn(&code, &sig, handle, ms) in slices of at most 100 ms with
    the lock held only during each slice. Returns (code, signal)."""
    deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
    code, sig = c_int(-1), c_int(0)
    while True:
        if deadline is None:
            ms = int(_WAIT_SLICE * 1000)
        else:
            left = deadline - time.monotonic()
            ms = max(0, min(int(_WAIT_SLICE * 1000), int(math.ceil(left * 1000))))
        try:
            with lock:
                waitfn(byref(code), byref(sig), get_handle(), ms)
            return code.value, sig.value
        except errors.Timeout:
            if deadline is not None and time.monotonic() >= deadline:
                raise


def _user_arg(user):
    if user is None or isinstance(user, str):
        return user
    if isinstance(user, int) and not isinstance(user, bool):
        return str(user)
    if isinstance(user, (tuple, list)) and len(user) == 2:
        return "%d:%d" % (int(user[0]), int(user[1]))
    raise TypeError("user must be a uid, 'uid[:gid]' or (uid, gid)")


def _env_list(env):
    if env is None:
        return None
    if isinstance(env, dict):
        return ["%s=%s" % (k, v) for k, v in env.items()]
    if isinstance(env, (str, bytes)):
        raise TypeError("env must be a dict or a list of 'K=V' strings")
    return list(env)


class Container(Handle):
    _FREE = "berth_container_free"

    """A handle on a container. Closing the handle (close(), the with block,
    garbage collection) does not stop the container; delete() removes it."""

    def __init__(self, ctx: Context, handle: Any) -> None:
        self._ctx: Optional[Context] = ctx  # the context must outlive the handle
        self._h = handle
        self._lock = threading.RLock()
        self._deleted = False
        self._signal = 0
        self._processes: weakref.WeakSet[Process] = weakref.WeakSet()
        self._id = dec(lib.berth_container_id(handle))
        self._name = dec(lib.berth_container_name(handle)) or None
        ctx._track(self)

    # --- lifetime ---
    def _handle(self):
        h = self._h
        if not h:
            raise errors.StateError(errors.ESTATE, 0, "container %s: handle is closed" % self._id)
        return h

    def close(self) -> None:
        """Frees the handle; the container goes on."""
        with self._lock:
            for p in list(self._processes):
                p.close()
            h, self._h = self._h, None
            if h:
                lib.berth_container_free(h)
        ctx = self._ctx
        if ctx is not None:
            ctx._untrack(self)


    def __repr__(self):
        return "<berth.Container %s%s%s>" % (self._id[:12], " name=%s" % self._name if self._name else "",
                                            " (closed)" if not self._h else "")

    # --- identity and state ---
    @property
    def id(self) -> str:
        return self._id

    @property
    def name(self) -> Optional[str]:
        return self._name

    def refresh(self) -> Container:
        """Rereads the state from disk."""
        with self._lock:
            lib.berth_container_refresh(self._handle())
        return self

    def _state(self, getter):
        with self._lock:
            h = self._handle()
            if not self._deleted:
                lib.berth_container_refresh(h)
            return getter(h)

    @property
    def status(self) -> str:
        """"created", "running", "paused" or "stopped" (rereads the state;
        NotFound once the container was deleted elsewhere)."""
        return dec(lib.berth_status_name(self._state(lib.berth_container_status)))

    @property
    def status_code(self) -> int:
        return self._state(lib.berth_container_status)

    @property
    def pid(self) -> int:
        """The init's pid (host view), 0 unless created/running/paused."""
        return self._state(lib.berth_container_pid)

    @property
    def exit_code(self) -> Optional[int]:
        """Exit code (128+N for signal N) once stopped, else None."""
        v = self._state(lib.berth_container_exit_code)
        return None if v < 0 else v

    @property
    def signal(self) -> int:
        """The signal that killed the process, as reported by the last wait() (0: none)."""
        return self._signal

    @property
    def image(self) -> Optional[str]:
        """The id of the image the container was created from, or None."""
        return dec(self._state(lib.berth_container_image)) or None

    @property
    def network(self) -> str:
        """The network mode it was created with ("none", "host", "bridge",
        "container:ID" or a network's name)."""
        return dec(self._state(lib.berth_container_network))

    @property
    def log_path(self) -> Optional[str]:
        with self._lock:
            return dec(lib.berth_container_log_path(self._handle())) or None

    def logs(self, follow: bool = False, since: Any = None, until: Any = None, timestamps: bool = False,
             tail: Optional[int] = None) -> LogIterator:
        """An iterator of berth.LogRecord(stream, time_ns, data, partial) over the
        container's log. follow: wait for new records until the container has
        stopped; since/until: unix seconds, a datetime, or a str as `berth logs`
        takes it (RFC 3339, "10m"); timestamps: data prefixed with the RFC 3339
        time at each line start; tail: the last N lines. The iterator's read()
        (or bytes(it)) is every record's data at once, as logs() returned
        before. berth.Unsupported when the container keeps no log."""
        return LogIterator(self, follow, since, until, timestamps, tail)

    def inspect(self) -> dict:
        """The full state (OCI state plus berth's fields) as a dict."""
        p = c_void_p()
        with self._lock:
            lib.berth_container_inspect(byref(p), self._handle())
        return json.loads(take_string(p))

    def spec(self) -> Spec:
        """A copy of the spec the container was created with."""
        from .spec import Spec
        h = SpecP()
        with self._lock:
            lib.berth_container_spec(byref(h), self._handle())
        return Spec._wrap(h)

    # --- lifecycle ---
    def start(self) -> Container:
        """Lets a created container exec its process. StateError unless created."""
        with self._lock:
            lib.berth_container_start(self._handle())
        return self

    def wait(self, timeout: Optional[float] = None) -> int:
        """Waits for the process to exit; returns the exit code (128+N when
        killed by signal N). Timeout (a berth.Timeout) when timeout seconds pass."""
        code, sig = _sliced_wait(lib.berth_container_wait, self._lock, self._handle, timeout)
        self._signal = sig
        return code

    def _paused(self):
        """Rereads the state: is the container paused? (lock held)"""
        h = self._handle()
        try:
            lib.berth_container_refresh(h)
        except errors.BerthError:
            return False
        return lib.berth_container_status(h) == STATUS_PAUSED

    def _thaw(self):
        """Thaws a paused container (lock held); its processes are frozen and
        act on signals only once thawed. Errors are ignored (it may have been
        thawed or have stopped meanwhile)."""
        try:
            lib.berth_container_resume(self._handle())
        except errors.BerthError:
            pass

    def kill(self, sig: Sig = _signal.SIGTERM, all: bool = False) -> Container:
        """Sends a signal to the init, or with all=True to every process.
        SIGKILL to a paused container also thaws it, so that it dies (as
        docker kill); other signals stay pending until resume()."""
        n = signal_number(sig)
        with self._lock:
            paused = n == _signal.SIGKILL and self._paused()
            lib.berth_container_kill(self._handle(), n, 1 if all else 0)
            if paused:
                self._thaw()
        return self

    def stop(self, timeout: float = 10) -> Container:
        """The stop signal, then SIGKILL after timeout seconds. A paused
        container is thawed first, so that it can act on the stop signal."""
        with self._lock:
            if self._paused():
                self._thaw()
            lib.berth_container_stop(self._handle(), int(math.ceil(timeout)))
        return self

    def delete(self, force: bool = False, volumes: bool = False) -> Container:
        """Removes a stopped container (force: any, killed first). StateError
        if it is running and force is False. Its volumes stay, but the
        anonymous ones with volumes=True (docker rm -v)."""
        with self._lock:
            if force and self._paused():
                # killed, then thawed so that its processes can die
                try:
                    lib.berth_container_kill(self._handle(), _signal.SIGKILL, 1)
                except errors.BerthError:
                    pass
                self._thaw()
            lib.berth_container_delete(self._handle(), (DELETE_FORCE if force else 0) |
                                       (DELETE_VOLUMES if volumes else 0))
            self._deleted = True
        return self

    # --- published ports (berth.net) ---
    def ports(self) -> List[_net_t.Port]:
        """The published ports with the host ports actually bound: [berth.net.Port]."""
        from . import net
        return net.container_ports(self._handle())

    def add_port(self, port: PortArg) -> None:
        """Publishes a port on a running container on a bridge network
        ("8080:80", berth.net.Port or (host, container[, proto])). The host
        port's reservation lives as long as this handle (or the monitor's
        proxy, when the handle is the monitor's)."""
        from . import net
        for p in net.to_ports(port):
            with p._to_c() as c:
                lib.berth_container_add_port(self._handle(), c)

    def remove_port(self, port: PortArg) -> None:
        """Removes a mapping (matched on host address, host port, protocol)."""
        from . import net
        for p in net.to_ports(port):
            with p._to_c() as c:
                lib.berth_container_remove_port(self._handle(), c)

    def serve_ports(self) -> None:
        """Serves 127.0.0.1:HOSTPORT from a thread of this process (only for
        a handle that created the container in-process)."""
        lib.berth_container_serve_ports(self._handle())

    def take_console(self) -> int:
        """The pseudo-terminal master of a terminal container (the caller owns the fd)."""
        fd = c_int(-1)
        with self._lock:
            lib.berth_container_take_console(byref(fd), self._handle())
        return fd.value

    def attach(self) -> Tuple[int, int]:
        """For a detached terminal container: (terminal fd, lease fd); close
        both to detach."""
        fd, lease = c_int(-1), c_int(-1)
        with self._lock:
            lib.berth_container_attach(byref(fd), byref(lease), self._handle())
        return fd.value, lease.value

    # --- resources (cgroups) ---
    def pause(self) -> Container:
        """Freezes every process of the running container (status "paused")."""
        with self._lock:
            lib.berth_container_pause(self._handle())
        return self

    def resume(self) -> Container:
        """Thaws a paused container."""
        with self._lock:
            lib.berth_container_resume(self._handle())
        return self

    unpause = resume

    def update(self, res: Any = None, **kwargs: Any) -> Container:
        """Changes the limits of a created, running or paused container:
        memory, memory_swap, memory_reservation, cpus, cpu_shares, cpu_quota,
        cpu_period, cpuset_cpus, cpuset_mems, pids_limit, blkio_weight (see
        berth.cgroup.resources()); others keep their value."""
        from . import cgroup
        cgroup.check_keywords(kwargs, "update")
        r = cgroup.resources_from(res, **{k: v for k, v in kwargs.items() if v is not None})
        with self._lock:
            lib.berth_container_update(self._handle(), byref(r))
        return self

    def stats(self) -> _cgroup_t.Stats:
        """Usage and limits now: a berth.cgroup.Stats (memory_usage,
        cpu_usage_ns, pids_current, ...; also usable as stats["memory_usage"]
        and stats.to_dict()). StateError when stopped."""
        from . import cgroup
        s = cgroup.new_stats()
        with self._lock:
            lib.berth_container_stats(byref(s), self._handle())
        return cgroup.Stats._from_c(s)

    def _flag(self, getter):
        """A getter's answer after reloading the state (unless deleted)."""
        with self._lock:
            h = self._handle()
            if not self._deleted:
                try:
                    lib.berth_container_refresh(h)
                except errors.NotFound:
                    pass
            return getter(h) == 1

    @property
    def oom_killed(self) -> bool:
        """True if the kernel killed a process of the container for memory."""
        return self._flag(lib.berth_container_oom_killed)

    @property
    def supervised(self) -> bool:
        """True while a live owner (its monitor) supervises the running
        container; False when it is stopped or its monitor died (kill -9):
        then nobody serves its 127.0.0.1 ports or cleans up at its exit
        until supervise()."""
        return self._flag(lib.berth_container_supervised)

    def supervise(self) -> None:
        """Gives a running container whose monitor died a new monitor that
        adopts it: 127.0.0.1 ports served again, the exit recorded and cleaned
        up. StateError when it is stopped or already supervised."""
        with self._lock:
            lib.berth_container_supervise(self._handle())

    def adopt(self) -> None:
        """This process becomes the owner of a container whose monitor died
        (what berth-monitor does for supervise()): ports reserved again,
        serve_ports() serves them, wait() records the exit and cleans up."""
        with self._lock:
            lib.berth_container_adopt(self._handle())

    def cgroup(self) -> _cgroup_t.Cgroup:
        """The container's cgroup as a berth.cgroup.Cgroup (close it when done)."""
        from . import cgroup
        h = CgroupP()
        with self._lock:
            lib.berth_container_cgroup(byref(h), self._handle())
        return cgroup.Cgroup(h)

    # --- exec ---
    def spawn(self, args: Args, env: Optional[Env] = None, cwd: Optional[str] = None, user: Optional[User] = None,
              stdin: Stdio = None, stdout: Stdio = None, stderr: Stdio = None, capture_output: bool = False,
              input: Optional[bytes] = None, terminal: bool = False) -> Process:
        """Starts a process in the running container and returns a Process.
        Output captured with capture_output/PIPE is in .stdout/.stderr after
        Process.wait()."""
        if isinstance(args, (str, bytes)):
            args = [args]
        argv = strv(args)
        envp = strv(_env_list(env)) if env is not None else None
        opts = ExecOptions()
        lib.berth_exec_options_init(byref(opts), EXEC_OPTIONS_VERSION)
        opts.args = argv
        opts.env = envp
        opts.cwd = enc(cwd)
        opts.user = enc(_user_arg(user))
        stdio = _Stdio(stdin, stdout, stderr, capture_output, input)
        opts.stdio_mode = STDIO_TERMINAL if terminal else STDIO_FDS
        opts.stdin_fd, opts.stdout_fd, opts.stderr_fd = stdio.fds
        h = ProcessP()
        try:
            with self._lock:
                lib.berth_container_exec(byref(h), self._handle(), byref(opts))
        except BaseException:
            stdio.failed()
            raise
        stdio.spawned()
        p = Process(self, h, stdio, list(args))
        with self._lock:
            self._processes.add(p)
        return p

    def exec(self, args: Args, env: Optional[Env] = None, cwd: Optional[str] = None, user: Optional[User] = None,
             stdin: Stdio = None, stdout: Stdio = None, stderr: Stdio = None, capture_output: bool = False,
             input: Optional[bytes] = None, timeout: Optional[float] = None) -> ExecResult:
        """Runs a process in the running container and waits for it:
        ExecResult(exit_code, signal, stdout, stderr, pid). StateError unless
        running. On timeout the process is killed and berth.Timeout raised."""
        with self.spawn(args, env=env, cwd=cwd, user=user, stdin=stdin, stdout=stdout, stderr=stderr,
                        capture_output=capture_output, input=input) as p:
            try:
                code = p.wait(timeout)
            except BaseException as e:
                try:
                    p.kill(_signal.SIGKILL)
                    p.wait()
                except errors.BerthError:
                    pass
                out, err = p._collect()
                if isinstance(e, errors.Timeout):
                    e.stdout, e.stderr = out, err
                raise
            return ExecResult(code, p.signal, p.stdout, p.stderr, p.pid, p.args)


class Process(Handle):
    _FREE = "berth_process_free"

    """A process started in a container by Container.spawn()."""

    def __init__(self, container: Container, handle: Any, stdio: _Stdio, args: List[Any]) -> None:
        self._container = container  # keeps the container handle (and context) alive
        self._h = handle
        self._lock = threading.RLock()
        self._stdio: Optional[_Stdio] = stdio
        self.args = args
        self.pid = lib.berth_process_pid(handle)
        self.exit_code: Optional[int] = None
        self.signal = 0
        self.stdout: Optional[bytes] = None
        self.stderr: Optional[bytes] = None

    def _handle(self):
        h = self._h
        if not h:
            raise errors.StateError(errors.ESTATE, 0, "process %d: handle is closed" % self.pid)
        return h

    def _collect(self):
        st, self._stdio = self._stdio, None
        if st is not None:
            self.stdout, self.stderr = st.finish()
        return self.stdout, self.stderr

    def wait(self, timeout: Optional[float] = None) -> int:
        """Waits for the process; returns its exit code (128+N for signal N)."""
        code, sig = _sliced_wait(lib.berth_process_wait, self._lock, self._handle, timeout)
        self.exit_code, self.signal = code, sig
        self._collect()
        return code

    def kill(self, sig: Sig = _signal.SIGTERM) -> Process:
        with self._lock:
            lib.berth_process_kill(self._handle(), signal_number(sig))
        return self

    def take_console(self) -> int:
        fd = c_int(-1)
        with self._lock:
            lib.berth_process_take_console(byref(fd), self._handle())
        return fd.value

    def close(self) -> None:
        with self._lock:
            h, self._h = self._h, None
            if h:
                lib.berth_process_free(h)
        st, self._stdio = self._stdio, None
        if st is not None:
            st.finish(0)

    def __repr__(self):
        return "<berth.Process pid=%d args=%r>" % (self.pid, self.args)


__all__ = ["Container", "Process", "CompletedContainer", "ExecResult", "ContainerError", "PIPE", "STDOUT",
           "DEVNULL", "signal_number"]
