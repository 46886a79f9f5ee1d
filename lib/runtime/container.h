/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BERTH_RUNTIME_CONTAINER_H
#define BERTH_RUNTIME_CONTAINER_H
#include "runtime/runtime.h"
#include "runtime/create.h"
#include "net/net.h"
#include "common/layout.h"
#include "runtime/monitor_proto.h"

struct berth_container {
	berth_ctx *ctx;
	char *id;
	char *name;
	char *root_dir;   /* <root>/containers/<id> */
	char *run_dir;    /* <run_root>/containers/<id> */
	char *log_path;
	json_t *state;    /* state.json as last read or written */
	berth__config *config; /* the typed spec of its create, in the creating process; else NULL */
	int status;
	pid_t pid;
	int exit_code;
	int signal;
	/* only in the process that created the init (its parent) */
	int owner;
	int pidfd;
	int console_fd;
	/* published ports: the reservations (listening/bound sockets) held by the
	 * creating process until berth_container_serve_ports() hands them to the
	 * loopback proxy (ports.c) */
	int *port_fds;
	berth_port *ports;
	size_t n_ports;
	char *net_addr;
	struct berth__proxy *proxy;
	/* supervision (supervise.c): a live owner watches the running init
	 * (as of the last state load); adopted: this process took over a
	 * running container whose owner died, and is not the init's parent */
	int supervised;
	int adopted;
};

struct berth_process {
	pid_t pid;
	int pidfd;
	int console_fd;
	int exited;
	int exit_code, signal;
};

/* Creates a container in this process (create.c): cfg is the spec parsed
 * (berth__config_parse) with berth's settings, owned by the container from
 * here on (freed on failure); params: the internal creation parameters
 * (NULL: none). */
BERTH_HIDDEN int berth__container_create_in_process(berth_container **out, berth_ctx *ctx, berth__config *cfg,
                                                    const berth_create_options *opts, const char *id,
                                                    const berth__create_params *params);
/* What the network area gets of a spec's settings (create.c). */
BERTH_HIDDEN berth__net_request berth__container_net_request(const berth__spec_ext *e);
/* A handle for id, nothing read yet (container.c). */
BERTH_HIDDEN berth_container *berth__container_alloc(berth_ctx *ctx, const char *id);
/* <root>/names/<name> -> id: BERTH_EEXISTS naming the holder if taken; the
 * release removes it only while it points at id. */
BERTH_HIDDEN int berth__container_name_claim(berth_ctx *ctx, const char *name, const char *id);
BERTH_HIDDEN void berth__container_name_release(berth_ctx *ctx, const char *name, const char *id);
/* st[key] = now, RFC 3339. */
BERTH_HIDDEN void berth__container_set_time(json_t *st, const char *key);
/* state.json helpers (container.c) */
BERTH_HIDDEN int berth__container_save_state(berth_container *c);
BERTH_HIDDEN int berth__container_owner_alive(berth_container *c);
BERTH_HIDDEN int berth__container_init_alive(berth_container *c);
/* Reads a monitor's reply (monitor_proto.h) from fd until EOF (monitor.c):
 * 0, or its error; BERTH_EUNSUPPORTED naming both versions when the monitor
 * speaks another protocol version. */
BERTH_HIDDEN int berth__monitor_reply(int fd, const char *id, const char *monitor_path);
/* The exit status of an adopted init that has exited (supervise.c): from
 * its zombie when still there, else 255 and *known 0. */
BERTH_HIDDEN void berth__adopted_exit_status(berth_container *c, int *code, int *sig, int *known);
BERTH_HIDDEN int berth__container_load_state(berth_container *c);
BERTH_HIDDEN int berth__container_lock(berth_container *c);   /* returns fd, caller closes */
/* 1 if the container keeps a log at path (its state says so; without state,
 * the file exists), 0 if not (container.c). */
BERTH_HIDDEN int berth__container_has_log(const json_t *state, const char *path);
/* 1 once the exit is recorded in the state last loaded (its owner wrote the
 * container's output before that), or nobody is left to record it. */
BERTH_HIDDEN int berth__container_finished(berth_container *c);
/* Opens a pidfd for the container's init if it is still the process recorded. -1 if gone. */
BERTH_HIDDEN int berth__container_pidfd(berth_container *c);
/* Builds a plan from the container's stored config for an exec. */
BERTH_HIDDEN int berth__container_spec_json(json_t **out, berth_container *c);
/* waitid on a pidfd with a timeout; returns 0 and exit code/signal, or BERTH_ETIMEOUT. */
BERTH_HIDDEN int berth__wait_pidfd(int pidfd, int timeout_ms, int *exit_code, int *sig, const char *what);
/* The unpacked layer dirs of an image (bottom first, NULL-terminated, one
 * free()), errors naming container id (image_rootfs.c). */
BERTH_HIDDEN int berth__image_layers(char ***out, berth_ctx *ctx, const char *image_id, const char *id);
/* BERTH_STORAGE_DRIVER=vfs: copy the layers instead of an overlay. */
BERTH_HIDDEN int berth__storage_driver_vfs(void);
/* Makes <root_dir>/rootfs for a container of an image: with overlayfs,
 * upper/ and work/ and *out_mount_fd a detached overlay mount for the child to
 * attach on rootfs; without (or BERTH_STORAGE_DRIVER=vfs), a copy of the
 * layers in rootfs and *out_mount_fd -1. The caller removes root_dir on failure. */
BERTH_HIDDEN int berth__image_rootfs(int *out_mount_fd, berth_ctx *ctx, char **dirs, const char *root_dir,
                                     const char *id);
/* The builder's RUN steps bring their own layers and upper dir (the
 * overlay of the creation parameters): makes <root_dir>/rootfs and
 * *out_mount_fd the detached overlay. */
BERTH_HIDDEN int berth__given_overlay(int *out_mount_fd, const berth__create_params *p, const char *root_dir,
                                      const char *id);
/* cgroups (resources.c) */
/* No cgroup file system visible: BERTH_EUNSUPPORTED naming the limit when
 * the spec asks for one, else a warning, state "cgroupUnavailable" and *out NULL. */
BERTH_HIDDEN void berth__container_cgroup_warn(berth_ctx *ctx, const char *id);
BERTH_HIDDEN int berth__container_cgroup_prepare(berth_cgroup **out, berth_ctx *ctx, json_t *state,
                                                 const berth__config *cfg, const char *id, berth__plan *plan);
BERTH_HIDDEN int berth__container_cgroup_join(berth_cgroup *cg, pid_t pid, const berth__plan *plan, const char *what);
/* Network teardown of a container whose init and owner are both gone. */
BERTH_HIDDEN void berth__container_net_stale(berth_container *c);
BERTH_HIDDEN int berth__container_cgroup_finish(berth_container *c, int *oom_killed, int kill_rest);
#endif
