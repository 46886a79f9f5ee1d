/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BERTH_RUNTIME_CONTAINER_H
#define BERTH_RUNTIME_CONTAINER_H
#include "runtime/runtime.h"

struct berth_container {
	berth_ctx *ctx;
	char *id;
	char *name;
	char *root_dir;   /* <root>/containers/<id> */
	char *run_dir;    /* <run_root>/containers/<id> */
	char *log_path;
	json_t *state;    /* state.json as last read or written */
	int status;
	pid_t pid;
	int exit_code;
	int signal;
	/* only in the process that created the init (its parent) */
	int owner;
	int pidfd;
	int console_fd;
};

struct berth_process {
	pid_t pid;
	int pidfd;
	int console_fd;
	int exited;
	int exit_code, signal;
};

/* state.json helpers (container.c) */
BERTH_HIDDEN int berth__container_load_state(berth_container *c);
BERTH_HIDDEN int berth__container_lock(berth_container *c);   /* returns fd, caller closes */
/* Opens a pidfd for the container's init if it is still the process recorded. -1 if gone. */
BERTH_HIDDEN int berth__container_pidfd(berth_container *c);
/* Builds a plan from the container's stored config for an exec. */
BERTH_HIDDEN int berth__container_spec_json(json_t **out, berth_container *c);
/* waitid on a pidfd with a timeout; returns 0 and exit code/signal, or BERTH_ETIMEOUT. */
BERTH_HIDDEN int berth__wait_pidfd(int pidfd, int timeout_ms, int *exit_code, int *sig, const char *what);
/* The overlay options for a container of an image (image_rootfs.c). */
BERTH_HIDDEN int berth__image_overlay(char **out, berth_ctx *ctx, const char *image_id, const char *id);
/* The overlay options the builder gives a RUN step's container in the
 * annotation io.berth.overlay ("lowerdir=...,upperdir=...,workdir=...": its
 * own upper dir, which becomes the step's layer); *out NULL when absent. */
BERTH_HIDDEN int berth__given_overlay(char **out, const json_t *annotations, const char *id);
/* cgroups (resources.c) */
BERTH_HIDDEN int berth__container_cgroup_prepare(berth_cgroup **out, json_t *state, const json_t *spec, const char *id,
                                                 berth__plan *plan);
BERTH_HIDDEN int berth__container_cgroup_join(berth_cgroup *cg, pid_t pid, const berth__plan *plan, const char *what);
BERTH_HIDDEN int berth__container_cgroup_finish(berth_container *c, int *oom_killed, int kill_rest);
#endif
