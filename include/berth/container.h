/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * container.h: the container lifecycle (create, start, run, wait, kill, exec,
 * delete, state, list).
 *
 * Process model: create clones the container's init with every namespace the
 * spec asks for; the init sets itself up and waits before execve (the OCI
 * "created" state) until start. The creating process is the init's parent and
 * reaps it in berth_container_wait(). With BERTH_CREATE_DETACH the library
 * starts berth-monitor, which becomes the parent, writes the output to the
 * container's log file and records the exit status even after the creating
 * program has exited.
 */
#ifndef BERTH_CONTAINER_H
#define BERTH_CONTAINER_H

#include "common.h"
#include "context.h"
#include "spec.h"
#include "cgroup.h"
#include "port.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct berth_container berth_container;
typedef struct berth_process berth_process;

typedef enum berth_status {
	BERTH_STATUS_CREATING = 0,
	BERTH_STATUS_CREATED = 1,
	BERTH_STATUS_RUNNING = 2,
	BERTH_STATUS_PAUSED = 3,
	BERTH_STATUS_STOPPED = 4
} berth_status;

/* "creating", "created", "running", "paused", "stopped". Since: 0.1 */
BERTH_EXTERN const char *berth_status_name(int status);

/* Where the container's stdin/stdout/stderr go. */
typedef enum berth_stdio_mode {
	BERTH_STDIO_FDS = 0,      /* the fds given (-1: /dev/null) */
	/* stdout and stderr through pipes to the container's monitor, which
	 * keeps the log (log.h); stdin /dev/null, or stdin_fd. Always with a
	 * monitor: without BERTH_CREATE_DETACH the monitor also copies the output
	 * to stdout_fd/stderr_fd when given (an attached run that keeps a log). */
	BERTH_STDIO_LOG = 1,
	BERTH_STDIO_TERMINAL = 2  /* a pseudo-terminal: see berth_container_take_console() */
} berth_stdio_mode;

enum {
	BERTH_CREATE_DETACH = 1u << 0, /* supervised by berth-monitor */
	BERTH_CREATE_REMOVE = 1u << 1, /* delete the container once it has exited (--rm) */
	/* A container with published ports (berth_spec_add_port) gets a monitor
	 * even when not detached: it holds the host port reservations and serves
	 * 127.0.0.1. With IN_PROCESS the caller stays the parent instead, holds
	 * the reservations in its handle and may serve loopback itself with
	 * berth_container_serve_ports() (berth-monitor uses this). With
	 * BERTH_STDIO_LOG and IN_PROCESS the stdout_fd/stderr_fd given are the
	 * pipes of the caller's own log writer (the monitor's): the container
	 * gets them as they are. */
	BERTH_CREATE_IN_PROCESS = 1u << 2,
	/* Start at once, as berth_container_run() does: the init execs as soon as
	 * it is set up, without the OCI "created" state (no exec fifo, no
	 * separate start). The container is running when create returns;
	 * berth_container_start() on it is BERTH_ESTATE. Ignored (the container
	 * stays created) when a monitor creates it: start it then. */
	BERTH_CREATE_START = 1u << 3
};

/* Version 1 (0.1): up to the stdio fds. Version 2 (0.2): the log options. A
 * version 1 struct is still accepted (defaults for the rest). */
#define BERTH_CREATE_OPTIONS_VERSION 2
typedef struct berth_create_options {
	unsigned int version;  /* 1 or BERTH_CREATE_OPTIONS_VERSION */
	const char *id;        /* NULL: a random 64-hex id. [A-Za-z0-9][A-Za-z0-9_.-]*, at most 128 chars */
	const char *name;      /* NULL: none. Unique among containers; same grammar as id */
	unsigned int flags;    /* BERTH_CREATE_* */
	int stdio_mode;        /* a berth_stdio_mode */
	int stdin_fd;          /* BERTH_STDIO_FDS: the caller keeps its fds; the library dups them */
	int stdout_fd;
	int stderr_fd;
	/* version 2: the log of BERTH_STDIO_LOG and of a terminal (log.h) */
	const char *log_driver; /* NULL or "local": the monitor's rotated log; "none": no log (output dropped) */
	int64_t log_max_size;   /* bytes per file; 0: BERTH_LOG_DEFAULT_MAX_SIZE; at least 4096 */
	int log_max_file;       /* files kept (container.log and rotated ones); 0: BERTH_LOG_DEFAULT_MAX_FILE */
} berth_create_options;
#define BERTH_CREATE_OPTIONS_INIT { BERTH_CREATE_OPTIONS_VERSION, NULL, NULL, 0, BERTH_STDIO_FDS, -1, -1, -1, NULL, 0, 0 }
/* Fills opts with version's defaults, writing only that version's part
 * (a struct of an older header is shorter). BERTH_EINVAL for an unknown
 * version. Since: 0.1 */
BERTH_EXTERN int berth_create_options_init(berth_create_options *opts, unsigned int version);

/* Creates a container: validates spec, stores its config, clones the init in
 * its namespaces, which prepares the root filesystem and waits before exec.
 * opts NULL: defaults (stdio /dev/null, random id).
 * Errors: BERTH_EINVAL (spec, id), BERTH_EEXISTS (id or name taken),
 * BERTH_ENOTFOUND (rootfs), BERTH_ESYS. On failure nothing is left behind. Since: 0.1 */
BERTH_EXTERN int berth_container_create(berth_container **out, berth_ctx *ctx, const berth_spec *spec,
                                        const berth_create_options *opts);
/* Lets a created container's init exec its process. BERTH_ESTATE unless created. Since: 0.1 */
BERTH_EXTERN int berth_container_start(berth_container *c);
/* create + start. Since: 0.1 */
BERTH_EXTERN int berth_container_run(berth_container **out, berth_ctx *ctx, const berth_spec *spec,
                                     const berth_create_options *opts);
/* Opens an existing container by id, unique id prefix, or name. Since: 0.1 */
BERTH_EXTERN int berth_container_open(berth_container **out, berth_ctx *ctx, const char *id_or_name);
/* Frees the handle only; the container goes on. Since: 0.1 */
BERTH_EXTERN void berth_container_free(berth_container *c);

/* Waits until the container's process has exited. *out_exit_code: its exit
 * status, or 128+N when killed by signal N; *out_signal: N or 0 (either out
 * may be NULL). timeout_ms < 0 waits forever; BERTH_ETIMEOUT when it runs out. Since: 0.1 */
BERTH_EXTERN int berth_container_wait(int *out_exit_code, int *out_signal, berth_container *c, int timeout_ms);
/* Sends a signal to the init (all = 0) or to every process of the container. Since: 0.1 */
BERTH_EXTERN int berth_container_kill(berth_container *c, int signal, int all);
/* Stops gracefully: the stop signal, then SIGKILL after timeout_s seconds. Since: 0.1 */
BERTH_EXTERN int berth_container_stop(berth_container *c, int timeout_s);

enum {
	BERTH_DELETE_FORCE = 1u << 0,  /* kill it first if it runs */
	BERTH_DELETE_VOLUMES = 1u << 1 /* remove its anonymous volumes too (rm -v) */
};
/* Removes a stopped (or, with BERTH_DELETE_FORCE, any: killed first) container
 * and its state. The handle stays to be freed. BERTH_ESTATE if running. Its
 * volumes stay (volume.h), but anonymous ones with BERTH_DELETE_VOLUMES or
 * when it was created with BERTH_CREATE_REMOVE. Since: 0.1 */
BERTH_EXTERN int berth_container_delete(berth_container *c, unsigned int flags);

/* --- resources (cgroups) ---
 * Every container gets a cgroup: linux.cgroupsPath if the spec sets one,
 * else <parent>/<id> with the parent from berth_spec_set_cgroup_parent()
 * ("berth" by default). Its processes join it before they run (clone3's
 * CLONE_INTO_CGROUP where there is a unified hierarchy, an attach before
 * the child goes on elsewhere). It is removed when the container exits. */
/* Freezes every process of a running container (status "paused"). Since: 0.1 */
BERTH_EXTERN int berth_container_pause(berth_container *c);
/* Thaws a paused container. Since: 0.1 */
BERTH_EXTERN int berth_container_resume(berth_container *c);
/* Changes the limits of a created, running or paused container (fields left
 * unset keep their value) and records them in its config. Since: 0.1 */
BERTH_EXTERN int berth_container_update(berth_container *c, const berth_cgroup_resources *res);
/* Usage and limits now (stats->version set by the caller). BERTH_ESTATE when stopped. Since: 0.1 */
BERTH_EXTERN int berth_container_stats(berth_cgroup_stats *stats, berth_container *c);
/* 1 if the kernel killed a process of the container for memory (known once
 * the container has stopped; berth_container_stats() counts them live). Since: 0.1 */
BERTH_EXTERN int berth_container_oom_killed(const berth_container *c);

/* Supervision (since 0.2). A running container's owner — its monitor, or
 * the caller of an attached run — serves its loopback ports, records its
 * exit and tears its network and cgroup down. If that process dies (kill
 * -9 of berth-monitor), the container keeps running unsupervised. */
/* 1 when a live owner supervises the (created, running or paused)
 * container, 0 when it is stopped or its owner is gone; as of the last
 * state load (open, refresh, status calls). Inspect shows it as "supervised". Since: 0.2 */
BERTH_EXTERN int berth_container_supervised(const berth_container *c);
/* Restores supervision of an unsupervised container: starts a new
 * berth-monitor that adopts it (berth_container_adopt) and returns once it
 * serves the published ports on 127.0.0.1 again. BERTH_ESTATE when the
 * container is stopped or supervised. The new monitor is not the init's
 * parent: the exit status is read when the init exits if its new parent has
 * not reaped it yet, else recorded as 255 with "exitStatusUnknown" in the
 * state; a terminal (attach) is not restored. Since: 0.2 */
BERTH_EXTERN int berth_container_supervise(berth_container *c);
/* The calling process becomes the owner of an unsupervised container:
 * recorded in the state (only while the previous owner is dead), the
 * published host ports reserved again (berth_container_serve_ports() then
 * serves them; a port taken meanwhile is skipped with a warning), and
 * berth_container_wait() on this handle records the exit and cleans up.
 * berth-monitor --adopt calls this. BERTH_ESTATE as supervise. Since: 0.2 */
BERTH_EXTERN int berth_container_adopt(berth_container *c);
/* The container's cgroup (the caller frees the handle). Since: 0.1 */
BERTH_EXTERN int berth_container_cgroup(berth_cgroup **out, berth_container *c);

/* Rereads the state from disk (another process may have changed it). Since: 0.1 */
BERTH_EXTERN int berth_container_refresh(berth_container *c);
/* Borrowed strings, valid until the next call on c. Since: 0.1 */
BERTH_EXTERN const char *berth_container_id(const berth_container *c);
BERTH_EXTERN const char *berth_container_name(const berth_container *c); /* "" if none */
BERTH_EXTERN int berth_container_status(const berth_container *c);      /* a berth_status */
BERTH_EXTERN int berth_container_pid(const berth_container *c);         /* 0 unless created/running/paused */
/* Exit code (128+N for a signal) once stopped, -1 before or when unknown. Since: 0.1 */
BERTH_EXTERN int berth_container_exit_code(const berth_container *c);
/* The container's current log file, borrowed: <root>/containers/<id>/container.log,
 * in the record format of docs/api.md (read it with log.h), rotated to
 * container.log.1 ... by size. "" when the container keeps no log (log driver
 * "none", or an attached run's output that went to the caller's fds). Since: 0.1 */
BERTH_EXTERN const char *berth_container_log_path(const berth_container *c);
/* The id of the image the container was created from, borrowed (valid until
 * the next call on c); NULL when its root filesystem is not an image. Since: 0.2 */
BERTH_EXTERN const char *berth_container_image(const berth_container *c);
/* The container's network mode as created ("none", "host", "bridge",
 * "container:ID" or a network name), borrowed (valid until the next call on
 * c). Since: 0.2 */
BERTH_EXTERN const char *berth_container_network(const berth_container *c);
/* The full state as JSON (OCI state plus berth's fields: name, created,
 * started, finished, exitCode, signal, config). *out released with berth_free(). Since: 0.1 */
BERTH_EXTERN int berth_container_inspect(char **out, berth_container *c);
/* The spec the container was created with (a copy the caller frees). Since: 0.1 */
BERTH_EXTERN int berth_container_spec(berth_spec **out, berth_container *c);
/* With BERTH_STDIO_TERMINAL: hands the pseudo-terminal master to the caller,
 * who then owns it. BERTH_ENOTFOUND if there is none or it was taken. Since: 0.1 */
BERTH_EXTERN int berth_container_take_console(int *out_fd, berth_container *c);

/* For a detached container created with BERTH_STDIO_TERMINAL: its monitor
 * hands over the master of a pseudo-terminal of its own that it relays to
 * and from the container's terminal (still logging the output) until the
 * caller closes *out_fd and *out_lease_fd. The caller reads the container's
 * output from *out_fd, writes its input to it and sets the window size on it
 * (TIOCSWINSZ; passed on within 50 ms). Works for a created container too
 * (attach, then start: nothing is missed). BERTH_EUNSUPPORTED without a
 * terminal, BERTH_ESTATE if the container is not running or created,
 * BERTH_EBUSY if another caller is attached. Since: 0.1 */
BERTH_EXTERN int berth_container_attach(int *out_fd, int *out_lease_fd, berth_container *c);

/* Ids of every container, NULL-terminated, released with one berth_free(). Since: 0.1 */
BERTH_EXTERN int berth_container_list(char ***out, berth_ctx *ctx);

/* --- published ports (port.h; networks in net.h) --- */
/* The container's published ports, with the host ports actually bound.
 * *out is released with berth_port_list_free() and may be empty.
 * BERTH_EINVAL for NULL arguments. Since: 0.1 (an array of structs before
 * 0.2; the 0.1 symbol is kept) */
BERTH_EXTERN int berth_container_ports(berth_port_list **out, berth_container *c);
/* Adds a mapping to a created, running or paused container on a bridge
 * network. BERTH_EEXISTS if the host port is taken, BERTH_ESTATE when the
 * container is stopped, BERTH_EINVAL when it is not on a bridge network.
 * The reservation lives as long as c (or its monitor's proxy).
 * Since: 0.1 (a struct before 0.2; the 0.1 symbol is kept) */
BERTH_EXTERN int berth_container_add_port(berth_container *c, const berth_port *port);
/* Removes a mapping (matched on host address, host port and protocol).
 * BERTH_ENOTFOUND when no mapping matches. Since: 0.1 (a struct before 0.2;
 * the 0.1 symbol is kept) */
BERTH_EXTERN int berth_container_remove_port(berth_container *c, const berth_port *port);
/* Serves the container's loopback mappings (127.0.0.1:HOSTPORT) from a
 * thread of the calling process until the handle is freed. berth-monitor
 * calls this for every container with published ports; a program that keeps
 * its handle may call it instead. Since: 0.1 (declared in net.h before 0.2) */
BERTH_EXTERN int berth_container_serve_ports(berth_container *c);

/* --- exec: a new process in a running container --- */
/* Version 1 (0.1). */
#define BERTH_EXEC_OPTIONS_VERSION 1
typedef struct berth_exec_options {
	unsigned int version;         /* BERTH_EXEC_OPTIONS_VERSION */
	const char *const *args;      /* NULL-terminated, non-empty */
	const char *const *env;       /* added to (and overriding) the container's env; may be NULL */
	const char *cwd;              /* NULL: the container's */
	const char *user;             /* "UID[:GID]"; NULL: the container's */
	int stdio_mode;               /* BERTH_STDIO_FDS or BERTH_STDIO_TERMINAL */
	int stdin_fd, stdout_fd, stderr_fd;
} berth_exec_options;
#define BERTH_EXEC_OPTIONS_INIT { BERTH_EXEC_OPTIONS_VERSION, NULL, NULL, NULL, NULL, BERTH_STDIO_FDS, -1, -1, -1 }
/* Fills opts with version's defaults. BERTH_EINVAL for an unknown version.
 * Since: 0.1 */
BERTH_EXTERN int berth_exec_options_init(berth_exec_options *opts, unsigned int version);

/* Starts a process in the container's namespaces, cgroup, with its
 * capabilities, seccomp filter and no_new_privs. BERTH_ESTATE unless running.
 * Until it has exec'd, the process (a copy of the caller) is non-dumpable, so
 * nothing of the caller is reachable from inside (docs/security.md). stdio
 * fds not given (-1) are the container's own /dev/null. A cwd that is not a
 * directory reachable in the container without magic links (/proc/self/fd/N)
 * is refused (BERTH_ESYS, "working directory" in the message). Since: 0.1 */
BERTH_EXTERN int berth_container_exec(berth_process **out, berth_container *c, const berth_exec_options *opts);
/* Waits for an exec'd process as berth_container_wait() does for the
 * container: exit code, signal, timeout_ms (< 0: forever; BERTH_ETIMEOUT).
 * Since: 0.1 */
BERTH_EXTERN int berth_process_wait(int *out_exit_code, int *out_signal, berth_process *p, int timeout_ms);
/* Sends signal to the exec'd process (through its pidfd). Since: 0.1 */
BERTH_EXTERN int berth_process_kill(berth_process *p, int signal);
/* The exec'd process's pid (in the caller's pid namespace). Since: 0.1 */
BERTH_EXTERN int berth_process_pid(const berth_process *p);
/* With BERTH_STDIO_TERMINAL: hands the pseudo-terminal master to the
 * caller, who closes it. BERTH_ENOTFOUND without one (or taken). Since: 0.1 */
BERTH_EXTERN int berth_process_take_console(int *out_fd, berth_process *p);
/* Frees the handle (the process goes on). Accepts NULL. Since: 0.1 */
BERTH_EXTERN void berth_process_free(berth_process *p);

#ifdef __cplusplus
}
#endif
#endif
