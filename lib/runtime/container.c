/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The container lifecycle: create, start, wait, kill, stop, delete, state,
 * list, inspect. State on disk:
 *   <root>/containers/<id>/config.json   the spec
 *   <root>/containers/<id>/container.json  id, name, created (persists)
 *   <root>/containers/<id>/container.log   output records, written by the monitor (log.h); .1, .2... rotated
 *   <root>/names/<name> -> <id>            unique names (symlink, made with O_EXCL semantics)
 *   <run_root>/containers/<id>/state.json  status, pid, owner, exit status
 *   <run_root>/containers/<id>/exec.fifo   the created state's start gate
 *   <run_root>/orphans/<id>                the creator of a container that dies with it (orphans.c)
 * Every write is temp + rename; read-modify-write holds flock on the directory <root>/containers/<id>.
 */
#include "runtime/container.h"
#include "runtime/orphans.h"
#include "volume/volume.h"
#include "net/net.h"
#include "spec/ext.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

BERTH_EXTERN const char *berth_status_name(int status)
{
	switch (status) {
	case BERTH_STATUS_CREATING: return "creating";
	case BERTH_STATUS_CREATED: return "created";
	case BERTH_STATUS_RUNNING: return "running";
	case BERTH_STATUS_PAUSED: return "paused";
	case BERTH_STATUS_STOPPED: return "stopped";
	default: return "unknown";
	}
}

static int status_from_name(const char *s)
{
	for (int i = BERTH_STATUS_CREATING; i <= BERTH_STATUS_STOPPED; i++)
		if (s && !strcmp(s, berth_status_name(i)))
			return i;
	return BERTH_STATUS_STOPPED;
}

/* The size of each version of berth_create_options (1: up to stderr_fd). */
static size_t create_options_size(unsigned int version)
{
	switch (version) {
	case 1: return offsetof(berth_create_options, stderr_fd) + sizeof(int);
	case BERTH_CREATE_OPTIONS_VERSION: return sizeof(berth_create_options);
	default: return 0;
	}
}

BERTH_EXTERN int berth_create_options_init(berth_create_options *opts, unsigned int version)
{
	if (!opts)
		return berth__err(BERTH_EINVAL, "berth_create_options_init: NULL options");
	int r = berth__check_version(version, BERTH_CREATE_OPTIONS_VERSION, "berth_create_options");
	if (r < 0)
		return r;
	size_t n = create_options_size(version);
	/* copied member by member from a static value: a struct copy could carry
	 * indeterminate padding bytes to the caller */
	static const berth_create_options d = BERTH_CREATE_OPTIONS_INIT;
	memcpy(opts, &d, n);
	opts->version = version;
	return 0;
}

/* Any accepted version of the caller's options as the current one (the
 * fields a version lacks keep their defaults); NULL: the defaults. */
static int create_options_read(berth_create_options *dst, const berth_create_options *src, const char *what)
{
	static const berth_create_options d = BERTH_CREATE_OPTIONS_INIT;
	memcpy(dst, &d, sizeof d);
	if (!src)
		return 0;
	if (berth__check_version(src->version, BERTH_CREATE_OPTIONS_VERSION, "berth_create_options") < 0)
		return berth__err_prefix("%s", what);
	size_t n = create_options_size(src->version);
	memcpy(dst, src, n);
	dst->version = BERTH_CREATE_OPTIONS_VERSION;
	if (dst->log_driver && strcmp(dst->log_driver, "local") && strcmp(dst->log_driver, "none"))
		return berth__err(BERTH_EINVAL, "%s: unknown log driver '%s' (local or none)", what, dst->log_driver);
	if (dst->log_max_size < 0 || (dst->log_max_size > 0 && dst->log_max_size < 4096))
		return berth__err(BERTH_EINVAL, "%s: log max size %lld: at least 4096 bytes", what, (long long)dst->log_max_size);
	if (dst->log_max_file < 0 || dst->log_max_file > 1000)
		return berth__err(BERTH_EINVAL, "%s: log max file %d: 1 to 1000", what, dst->log_max_file);
	return 0;
}

static int pidfd_open_(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

/* --- handles --- */

static berth_container *container_alloc(berth_ctx *ctx, const char *id)
{
	char dir[PATH_MAX], run[PATH_MAX], log[PATH_MAX];
	if (berth__path_container(dir, sizeof dir, ctx->root, id, NULL) < 0 ||
	    berth__path_container(run, sizeof run, ctx->run_root, id, NULL) < 0 ||
	    berth__path_container(log, sizeof log, ctx->root, id, "container.log") < 0) {
		berth__err_sys(errno, "container %s: %s", id, dir);
		return NULL;
	}
	berth_container *c = calloc(1, sizeof *c);
	if (!c) {
		berth__err_nomem();
		return NULL;
	}
	c->ctx = ctx;
	c->pidfd = -1;
	c->console_fd = -1;
	c->exit_code = -1;
	c->id = berth__strdup(id);
	c->name = berth__strdup("");
	c->root_dir = berth__strdup(dir);
	c->run_dir = berth__strdup(run);
	c->log_path = berth__strdup(log);
	if (!c->id || !c->name || !c->root_dir || !c->run_dir || !c->log_path) {
		berth_container_free(c);
		berth__err_nomem();
		return NULL;
	}
	return c;
}

BERTH_EXTERN void berth_container_free(berth_container *c)
{
	if (!c)
		return;
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->console_fd >= 0)
		close(c->console_fd);
	berth__proxy_stop(c->proxy);
	for (size_t i = 0; c->port_fds && i < c->n_ports; i++)
		if (c->port_fds[i] >= 0)
			close(c->port_fds[i]);
	free(c->port_fds);
	free(c->ports);
	free(c->net_addr);
	json_decref(c->state);
	berth__config_free(c->config);
	free(c->id);
	free(c->name);
	free(c->root_dir);
	free(c->run_dir);
	free(c->log_path);
	free(c);
}

int berth__container_lock(berth_container *c)
{
	/* flock on the container's directory itself: no lock file to create
	 * (an inode on the persistent root's file system per container) */
	int fd = open(c->root_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth__err_sys(errno, "container %s: lock", c->id);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			return berth__err_sys(e, "container %s: lock", c->id);
		}
	return fd;
}

static int state_path(char *buf, size_t n, berth_container *c)
{
	return snprintf(buf, n, "%s/state.json", c->run_dir) >= (int)n ? -1 : 0;
}

static int save_state(berth_container *c)
{
	char path[PATH_MAX];
	state_path(path, sizeof path, c);
	return berth__json_save_file(c->state, path);
}

int berth__container_save_state(berth_container *c) { return save_state(c); }
berth_container *berth__container_alloc(berth_ctx *ctx, const char *id) { return container_alloc(ctx, id); }

static void set_time(json_t *st, const char *key)
{
	char buf[48];
	berth__format_time(buf, sizeof buf, berth__now_ns());
	json_object_set_new(st, key, json_string(buf));
}

void berth__container_set_time(json_t *st, const char *key) { set_time(st, key); }

/* Is the recorded init still the same live (not zombie) process? */
static int init_alive(berth_container *c)
{
	if (c->pid <= 0)
		return 0;
	uint64_t want = (uint64_t)json_integer_value(json_object_get(c->state, "pidStartTime"));
	char state;
	uint64_t have = berth__proc_stat(c->pid, &state);
	return have && have == want && state != 'Z' && state != 'X';
}

static int owner_alive(berth_container *c)
{
	pid_t op = (pid_t)json_integer_value(json_object_get(c->state, "ownerPid"));
	uint64_t want = (uint64_t)json_integer_value(json_object_get(c->state, "ownerStartTime"));
	char state = 0;
	/* a killed monitor may linger as a zombie until its new parent reaps it */
	return op > 0 && berth__proc_stat(op, &state) == want && state != 'Z' && state != 'X';
}

int berth__container_owner_alive(berth_container *c) { return owner_alive(c); }
int berth__container_init_alive(berth_container *c) { return init_alive(c); }

int berth__container_finished(berth_container *c)
{
	const char *st = json_string_value(json_object_get(c->state, "status"));
	if (!st || !strcmp(st, "stopped"))
		return 1;
	return !init_alive(c) && !owner_alive(c);
}

int berth__container_load_state(berth_container *c)
{
	char path[PATH_MAX];
	state_path(path, sizeof path, c);
	json_t *st = NULL;
	if (access(path, F_OK) < 0) {
		/* no runtime state (e.g. after a reboot): a stopped container,
		 * berth's settings as its config has them */
		st = json_object();
		json_object_set_new(st, "status", json_string("stopped"));
		json_t *cfg = NULL;
		if (berth__container_spec_json(&cfg, c) == 0)
			json_object_set(st, BERTH__EXT_KEY, json_object_get(cfg, BERTH__EXT_KEY));
		json_decref(cfg);
		berth__err_ok();
	} else {
		int r = berth__json_load_file(&st, path, "container state");
		if (r < 0)
			return berth__err_prefix("container %s", c->id);
		/* berth 0.1 kept berth's settings as io.berth.* annotations */
		if (!json_object_get(st, BERTH__STATE_VERSION_KEY) && berth__spec_json_upgrade(st) >= 0)
			json_object_set_new(st, BERTH__STATE_VERSION_KEY, json_integer(BERTH__STATE_VERSION));
	}
	json_decref(c->state);
	c->state = st;
	c->status = status_from_name(json_string_value(json_object_get(st, "status")));
	c->pid = (pid_t)json_integer_value(json_object_get(st, "pid"));
	json_t *ec = json_object_get(st, "exitCode");
	c->exit_code = json_is_integer(ec) ? (int)json_integer_value(ec) : -1;
	c->signal = (int)json_integer_value(json_object_get(st, "signal"));
	const char *name = json_string_value(json_object_get(st, "name"));
	if (name) {
		char *n = berth__strdup(name);
		if (n) {
			free(c->name);
			c->name = n;
		}
	}
	if (c->status != BERTH_STATUS_STOPPED && c->status != BERTH_STATUS_CREATING && !init_alive(c)) {
		/* the init is gone; its owner records the exit status when it reaps it */
		c->status = BERTH_STATUS_STOPPED;
		/* ...unless the owner is gone too (a monitor killed -9): then
		 * nobody will tear its network down but us */
		if (!owner_alive(c))
			berth__container_net_stale(c);
	}
	if (c->status == BERTH_STATUS_STOPPED)
		c->pid = 0;
	/* a running init whose owner (its monitor) was killed: nobody serves
	 * its loopback ports or cleans up after it (berth_container_supervise) */
	c->supervised = c->status != BERTH_STATUS_STOPPED && c->status != BERTH_STATUS_CREATING &&
	                ((c->owner && c->pidfd >= 0) || owner_alive(c));
	return 0;
}

BERTH_EXTERN int berth_container_refresh(berth_container *c)
{
	if (!c)
		return berth__err(BERTH_EINVAL, "refresh: container is NULL");
	if (access(c->root_dir, F_OK) < 0)
		return berth__err(BERTH_ENOTFOUND, "container %s: no such container (deleted)", c->id);
	int r = berth__container_load_state(c);
	if (r == 0)
		berth__err_ok();
	return r;
}

/* --- names --- */

static char *names_dir(berth_ctx *ctx)
{
	char p[PATH_MAX];
	return berth__path_name(p, sizeof p, ctx->root, NULL) < 0 ? NULL : berth__strdup(p);
}

static int name_claim(berth_ctx *ctx, const char *name, const char *id)
{
	char *dir = names_dir(ctx);
	if (!dir)
		return BERTH_ENOMEM;
	int r = berth__mkdir_p(dir, 0700);
	char *link = r == 0 ? berth__path_join(dir, name) : NULL;
	free(dir);
	if (r < 0 || !link)
		return r < 0 ? r : BERTH_ENOMEM;
	if (symlink(id, link) < 0) {
		int e = errno;
		char other[256] = "";
		ssize_t n = readlink(link, other, sizeof other - 1);
		if (n > 0)
			other[n] = '\0';
		free(link);
		if (e == EEXIST)
			return berth__err(BERTH_EEXISTS, "name '%s': already in use by container %.12s", name, other);
		return berth__err_sys(e, "name '%s'", name);
	}
	free(link);
	return 0;
}

int berth__container_name_claim(berth_ctx *ctx, const char *name, const char *id)
{
	return name_claim(ctx, name, id);
}

static void name_release(berth_ctx *ctx, const char *name, const char *id)
{
	if (!name || !*name)
		return;
	char link[PATH_MAX];
	if (berth__path_name(link, sizeof link, ctx->root, name) < 0)
		return;
	char other[256];
	ssize_t n = readlink(link, other, sizeof other - 1);
	if (n > 0) {
		other[n] = '\0';
		if (!strcmp(other, id))
			unlink(link);
	}
}

void berth__container_name_release(berth_ctx *ctx, const char *name, const char *id)
{
	name_release(ctx, name, id);
}

/* --- create (the phases are in create.c) --- */

/* 1 if the container keeps a log at path, 0 if not: "logDriver" local (or,
 * from before it, stdio "log"); without runtime state (after a reboot) the
 * file tells. */
int berth__container_has_log(const json_t *st, const char *path)
{
	const char *driver = json_string_value(json_object_get(st, "logDriver"));
	const char *stdio = json_string_value(json_object_get(st, "stdio"));
	if (driver)
		return !strcmp(driver, "local");
	if (stdio)
		return !strcmp(stdio, "log");
	return path && access(path, F_OK) == 0;
}

static int spawn_monitor(berth_container **out, berth_ctx *ctx, const berth_spec *spec,
                         const berth_create_options *opts, const char *id);

static int container_create(berth_container **out, berth_ctx *ctx, const berth_spec *spec,
                            const berth_create_options *given, const berth__create_params *params)
{
	berth_create_options d, *opts = &d;
	if (!out || !ctx || !spec)
		return berth__err(BERTH_EINVAL, "create: out, ctx and spec are required");
	int r = create_options_read(&d, given, "create");
	if (r < 0)
		return r;
	berth__container_sweep_orphans(ctx);
	if (opts->stdio_mode < BERTH_STDIO_FDS || opts->stdio_mode > BERTH_STDIO_TERMINAL)
		return berth__err(BERTH_EINVAL, "create: unknown stdio mode %d", opts->stdio_mode);
	char idbuf[65];
	const char *id = opts->id;
	if (id) {
		if ((r = berth__check_id("container id", id)) < 0)
			return r;
	} else {
		if ((r = berth__random_hex(idbuf, 32)) < 0)
			return r;
		id = idbuf;
	}
	if (opts->name && (r = berth__check_id("container name", opts->name)) < 0)
		return r;
	/* parsed and validated once: every step below reads the typed config */
	berth__config *cfg;
	if ((r = berth__config_parse(&cfg, berth__spec_json(spec))) < 0)
		return r;
	berth__net_request req = berth__container_net_request(&spec->ext);
	int published = berth__net_check(&req, id);
	/* published ports: the monitor holds the host ports and serves
	 * 127.0.0.1, attached or not; a log: the monitor reads the pipes */
	int monitor = (opts->flags & BERTH_CREATE_DETACH) ||
	              ((published || opts->stdio_mode == BERTH_STDIO_LOG) && !(opts->flags & BERTH_CREATE_IN_PROCESS));
	if (published < 0 || monitor) {
		berth__config_free(cfg); /* the monitor parses its own */
		if (published >= 0 && params)
			return berth__err(BERTH_EINVAL, "container %s: internal creation parameters need an in-process create",
			                  id);
		return published < 0 ? published : spawn_monitor(out, ctx, spec, opts, id);
	}
	if (berth__spec_ext_copy(&cfg->ext, &spec->ext) < 0) { /* berth's own settings, typed */
		berth__config_free(cfg);
		return BERTH_ENOMEM;
	}
	return berth__container_create_in_process(out, ctx, cfg, opts, id, params);
}

BERTH_EXTERN int berth_container_create(berth_container **out, berth_ctx *ctx, const berth_spec *spec,
                                        const berth_create_options *opts)
{
	return container_create(out, ctx, spec, opts, NULL);
}

void berth__container_net_stale(berth_container *c)
{
	berth__err_saved s;
	berth__err_save(&s);
	berth__net_teardown(c->ctx, c->id, c->root_dir);
	berth__err_restore(&s);
}

/* --- the monitor --- */

static int spawn_monitor(berth_container **out, berth_ctx *ctx, const berth_spec *spec,
                         const berth_create_options *opts, const char *id)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return berth__err_sys(errno, "container %s: socketpair", id);
	/* attached (ports or a log without DETACH) with the caller's fds: they
	 * are handed to the monitor as its fds 4, 5 and 6; with a log, the
	 * monitor copies the output to those given ("tee") */
	int pass_fds = !(opts->flags & BERTH_CREATE_DETACH) && opts->stdio_mode != BERTH_STDIO_TERMINAL;
	int stdio = opts->stdio_mode == BERTH_STDIO_TERMINAL                       ? BERTH_STDIO_TERMINAL
	            : pass_fds && opts->stdio_mode == BERTH_STDIO_FDS ? BERTH_STDIO_FDS
	                                                              : BERTH_STDIO_LOG;
	/* BERTH_CREATE_START goes to the monitor for a detached container without
	 * a terminal: it is running when the reply comes, and never "created"
	 * with nobody left to start it should the caller die meanwhile */
	unsigned int mflags = opts->flags;
	if (!(opts->flags & BERTH_CREATE_DETACH) || opts->stdio_mode == BERTH_STDIO_TERMINAL)
		mflags &= ~(unsigned)BERTH_CREATE_START;
	/* the spec as config.json has it: OCI and berth's own settings */
	json_t *sj = berth__spec_json_with_ext(berth__spec_json(spec), &spec->ext);
	json_t *req = !sj ? NULL :
	              json_pack("{s:s, s:s, s:i, s:i, s:o, s:{s:s, s:I, s:i}, s:[bb]}", "id", id, "name",
	                        opts->name ? opts->name : "", "flags", (int)mflags,
	                        "stdio", stdio, "spec", sj, "log", "driver",
	                        opts->log_driver ? opts->log_driver : "local", "maxSize", (json_int_t)opts->log_max_size,
	                        "maxFile", opts->log_max_file, "tee", pass_fds && opts->stdout_fd >= 0,
	                        pass_fds && opts->stderr_fd >= 0);
	char *reqs = req ? berth__json_dump(req, 0) : NULL;
	json_decref(req);
	if (!reqs) {
		close(sv[0]);
		close(sv[1]);
		return BERTH_ENOMEM;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	/* the caller's stdio first copied above every target number, so that no
	 * action below overwrites a source another one still needs */
	int high[3] = { -1, -1, -1 };
	if (pass_fds) {
		int given[3] = { opts->stdin_fd, opts->stdout_fd, opts->stderr_fd };
		for (int i = 0; i < 3; i++)
			if (given[i] >= 0 && (high[i] = fcntl(given[i], F_DUPFD_CLOEXEC, 10)) < 0) {
				int e = errno;
				for (int k = 0; k < i; k++)
					if (high[k] >= 0)
						close(high[k]);
				posix_spawn_file_actions_destroy(&fa);
				close(sv[0]);
				close(sv[1]);
				free(reqs);
				return berth__err_sys(e, "container %s: stdio for the monitor", id);
			}
	}
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_RDWR, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_RDWR, 0);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
	for (int i = 0; pass_fds && i < 3; i++) {
		if (high[i] >= 0)
			posix_spawn_file_actions_adddup2(&fa, high[i], 4 + i);
		else
			posix_spawn_file_actions_addopen(&fa, 4 + i, "/dev/null", O_RDWR, 0);
	}
	char lvl[16];
	snprintf(lvl, sizeof lvl, "%d", ctx->log_level);
	char *argv[] = { "berth-monitor", BERTH__MONITOR_ARG_PROTO, BERTH__MONITOR_PROTO_STRING, "--root", ctx->root,
		         "--run-root", ctx->run_root, "--sync-fd", "3", "--id", (char *)id,
		         pass_fds ? "--stdio-fds" : NULL, pass_fds ? "4" : NULL, NULL };
	pid_t mpid;
	int e = posix_spawn(&mpid, ctx->monitor_path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < 3; i++)
		if (high[i] >= 0)
			close(high[i]);
	close(sv[1]);
	if (e != 0) {
		close(sv[0]);
		free(reqs);
		return berth__err_sys(e, "container %s: start the monitor %s", id, ctx->monitor_path);
	}
	/* the monitor forks once and its first process exits at once: reap it */
	int st;
	while (waitpid(mpid, &st, 0) < 0 && errno == EINTR)
		;
	size_t len = strlen(reqs), off = 0;
	int r = 0;
	while (off < len) {
		ssize_t w = send(sv[0], reqs + off, len - off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = berth__err_sys(errno, "container %s: talk to the monitor", id);
			break;
		}
		off += (size_t)w;
	}
	free(reqs);
	shutdown(sv[0], SHUT_WR);
	if (r == 0)
		r = berth__monitor_reply(sv[0], id, ctx->monitor_path);
	close(sv[0]);
	if (r < 0)
		return r;
	int r2 = berth_container_open(out, ctx, id);
	if (r2 == 0 && json_is_true(json_object_get((*out)->state, "cgroupUnavailable")))
		berth__container_cgroup_warn(ctx, id); /* the monitor's own warning went to /dev/null */
	return r2;
}

/* --- open, list --- */

static int container_exists(berth_ctx *ctx, const char *id)
{
	char path[PATH_MAX];
	return berth__path_container(path, sizeof path, ctx->root, id, "container.json") == 0 && access(path, F_OK) == 0;
}

BERTH_EXTERN int berth_container_open(berth_container **out, berth_ctx *ctx, const char *ref)
{
	if (!out || !ctx || !ref || !*ref)
		return berth__err(BERTH_EINVAL, "open container: an id or name is required");
	if (strchr(ref, '/') || strstr(ref, ".."))
		return berth__err(BERTH_EINVAL, "container '%s': invalid id or name", ref);
	char id[256] = "";
	if (strlen(ref) < sizeof id && container_exists(ctx, ref))
		snprintf(id, sizeof id, "%s", ref);
	if (!id[0]) {
		char link[PATH_MAX];
		berth__path_name(link, sizeof link, ctx->root, ref);
		ssize_t n = readlink(link, id, sizeof id - 1);
		if (n > 0) {
			id[n] = '\0';
			if (!container_exists(ctx, id))
				id[0] = '\0';
		} else
			id[0] = '\0';
	}
	if (!id[0]) {
		char **ids = NULL;
		int r = berth_container_list(&ids, ctx);
		if (r < 0)
			return r;
		int matches = 0;
		for (char **p = ids; *p; p++)
			if (!strncmp(*p, ref, strlen(ref))) {
				matches++;
				snprintf(id, sizeof id, "%s", *p);
			}
		free(ids);
		if (matches > 1)
			return berth__err(BERTH_EINVAL, "container '%s': ambiguous id prefix (%d matches)", ref, matches);
		if (!matches)
			return berth__err(BERTH_ENOTFOUND, "container '%s': no such container", ref);
	}
	berth_container *c = container_alloc(ctx, id);
	if (!c)
		return BERTH_ENOMEM;
	int r = berth__container_load_state(c);
	if (r < 0) {
		berth_container_free(c);
		return r;
	}
	if (!c->name[0]) {
		/* after a reboot the name is in container.json */
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/container.json", c->root_dir);
		json_t *meta = NULL;
		if (berth__json_load_file(&meta, path, "container") == 0) {
			const char *nm = json_string_value(json_object_get(meta, "name"));
			if (nm && *nm) {
				free(c->name);
				c->name = berth__strdup(nm);
			}
			json_decref(meta);
		}
		if (!c->name) {
			berth_container_free(c);
			return BERTH_ENOMEM;
		}
	}
	*out = c;
	berth__err_ok();
	return 0;
}

BERTH_EXTERN int berth_container_list(char ***out, berth_ctx *ctx)
{
	if (!out || !ctx)
		return berth__err(BERTH_EINVAL, "list containers: out and ctx are required");
	berth__container_sweep_orphans(ctx);
	char path[PATH_MAX];
	berth__path_container(path, sizeof path, ctx->root, NULL, NULL);
	DIR *d = opendir(path);
	if (!d)
		return berth__err_sys(errno, "list containers in %s", path);
	size_t n = 0, cap = 16;
	char **v = malloc(cap * sizeof *v);
	struct dirent *de;
	int r = 0;
	while (v && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !container_exists(ctx, de->d_name))
			continue;
		if (n == cap) {
			char **nv = realloc(v, (cap *= 2) * sizeof *v);
			if (!nv) {
				r = BERTH_ENOMEM;
				break;
			}
			v = nv;
		}
		if (!(v[n] = strdup(de->d_name))) {
			r = BERTH_ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	char **packed = v && !r ? berth__strv_pack(v, n) : NULL;
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
	if (!packed)
		return berth__err_nomem();
	*out = packed;
	berth__err_ok();
	return 0;
}

/* --- start --- */

BERTH_EXTERN int berth_container_start(berth_container *c)
{
	if (!c)
		return berth__err(BERTH_EINVAL, "start: container is NULL");
	int lk = berth__container_lock(c);
	if (lk < 0)
		return lk;
	int r = berth__container_load_state(c);
	if (r == 0 && c->status != BERTH_STATUS_CREATED)
		r = berth__err(BERTH_ESTATE, "container %s: cannot start a %s container", c->id,
		               berth_status_name(c->status));
	if (r == 0)
		r = BERTH_FAULT("container.start");
	char fifo[PATH_MAX];
	snprintf(fifo, sizeof fifo, "%s/exec.fifo", c->run_dir);
	if (r == 0) {
		int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			r = errno == ENXIO ? berth__err(BERTH_ESTATE, "container %s: cannot start: its init has exited", c->id)
			                   : berth__err_sys(errno, "container %s: start: open %s", c->id, fifo);
		else {
			if (write(fd, "1", 1) != 1)
				r = berth__err_sys(errno, "container %s: start", c->id);
			close(fd);
		}
	}
	if (r == 0) {
		unlink(fifo);
		json_object_set_new(c->state, "status", json_string("running"));
		set_time(c->state, "started");
		r = save_state(c);
		c->status = BERTH_STATUS_RUNNING;
		berth__log(c->ctx, BERTH_LOG_INFO, "container %s: started", c->id);
	}
	close(lk);
	if (r == 0)
		berth__err_ok();
	return r;
}

BERTH_EXTERN int berth_container_run(berth_container **out, berth_ctx *ctx, const berth_spec *spec,
                                     const berth_create_options *opts)
{
	return berth__container_run(out, ctx, spec, opts, NULL);
}

int berth__container_run(berth_container **out, berth_ctx *ctx, const berth_spec *spec,
                         const berth_create_options *opts, const berth__create_params *params)
{
	berth_container *c = NULL;
	berth_create_options o;
	int r = create_options_read(&o, opts, "run");
	if (r < 0)
		return r;
	if (!(o.flags & BERTH_CREATE_DETACH))
		o.flags |= BERTH_CREATE_START; /* in process: no created state needed */
	if ((r = container_create(&c, ctx, spec, &o, params)) < 0)
		return r;
	if (c->status == BERTH_STATUS_CREATED && (r = berth_container_start(c)) < 0) {
		berth__err_saved s;
		berth__err_save(&s);
		berth_container_delete(c, BERTH_DELETE_FORCE | BERTH_DELETE_VOLUMES);
		berth_container_free(c);
		berth__err_restore(&s);
		return r;
	}
	*out = c;
	return 0;
}

/* --- wait --- */

int berth__wait_pidfd(int pidfd, int timeout_ms, int *exit_code, int *sig, const char *what)
{
	struct pollfd pfd = { pidfd, POLLIN, 0 };
	for (;;) {
		int n = poll(&pfd, 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth__err_sys(errno, "%s: wait", what);
		if (n == 0)
			return berth__err(BERTH_ETIMEOUT, "%s: still running after %d ms", what, timeout_ms);
		break;
	}
	siginfo_t si;
	memset(&si, 0, sizeof si);
	while (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0) {
		if (errno == EINTR)
			continue;
		return berth__err_sys(errno, "%s: wait", what);
	}
	if (si.si_code == CLD_EXITED) {
		*exit_code = si.si_status;
		*sig = 0;
	} else {
		*sig = si.si_status;
		*exit_code = 128 + si.si_status;
	}
	return 0;
}

static int record_exit(berth_container *c, int code, int sig)
{
	int lk = berth__container_lock(c);
	if (lk < 0)
		return lk;
	char path[PATH_MAX];
	state_path(path, sizeof path, c);
	json_t *st = NULL;
	int r = 0;
	if (access(c->run_dir, F_OK) == 0 && berth__json_load_file(&st, path, "container state") == 0) {
		json_decref(c->state);
		c->state = st;
		int oom = 0;
		berth__err_saved saved;
		berth__err_save(&saved);
		berth__container_cgroup_finish(c, &oom, 1); /* a cgroup that will not go is removed at delete */
		berth__net_teardown(c->ctx, c->id, c->root_dir); /* what fails is retried at delete */
		berth__err_restore(&saved);
		if (oom)
			json_object_set_new(st, "oomKilled", json_true());
		json_object_set_new(st, "status", json_string("stopped"));
		json_object_set_new(st, "exitCode", json_integer(code));
		json_object_set_new(st, "signal", json_integer(sig));
		json_object_set_new(st, "pid", json_integer(0));
		set_time(st, "finished");
		r = save_state(c);
	}
	close(lk);
	c->status = BERTH_STATUS_STOPPED;
	c->exit_code = code;
	c->signal = sig;
	c->pid = 0;
	berth__log(c->ctx, BERTH_LOG_INFO, "container %s: exited with %d", c->id, code);
	return r;
}

static long long ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_not_owner(berth_container *c, long long deadline, int timeout_ms, const char *what);

static int wait_adopted(berth_container *c, int timeout_ms, int *code, int *sig, const char *what)
{
	struct pollfd p = { c->pidfd, POLLIN, 0 };
	int n;
	while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return berth__err_sys(errno, "%s: wait", what);
	if (n == 0)
		return berth__err(BERTH_ETIMEOUT, "%s: still running after %d ms", what, timeout_ms);
	int known = 0;
	berth__adopted_exit_status(c, code, sig, &known);
	close(c->pidfd);
	c->pidfd = -1;
	record_exit(c, *code, *sig);
	if (!known) {
		/* reaped by its new parent before we could read it */
		int lk = berth__container_lock(c);
		if (c->state && access(c->run_dir, F_OK) == 0) {
			json_object_set_new(c->state, "exitStatusUnknown", json_true());
			save_state(c);
		}
		if (lk >= 0)
			close(lk);
	}
	return 0;
}

BERTH_EXTERN int berth_container_wait(int *out_exit_code, int *out_signal, berth_container *c, int timeout_ms)
{
	if (!c)
		return berth__err(BERTH_EINVAL, "wait: container is NULL");
	char what[200];
	snprintf(what, sizeof what, "container %s", c->id);
	int code = -1, sig = 0, r;
	if (c->owner && c->adopted && c->pidfd >= 0) {
		/* not its parent: the pidfd says when, the zombie (if still there) how */
		if ((r = wait_adopted(c, timeout_ms, &code, &sig, what)) < 0)
			return r;
	} else if (c->owner && c->pidfd >= 0) {
		if ((r = berth__wait_pidfd(c->pidfd, timeout_ms, &code, &sig, what)) < 0)
			return r;
		close(c->pidfd);
		c->pidfd = -1;
		record_exit(c, code, sig);
	} else {
		/* not our child: watch the init exit, then the owner record its status.
		 * A shared lock on wait.lock asks delete (e.g. the monitor's --rm) to
		 * let us read the exit status first. */
		long long deadline = timeout_ms < 0 ? -1 : ms_now() + timeout_ms;
		char wl[PATH_MAX];
		snprintf(wl, sizeof wl, "%s/wait.lock", c->run_dir);
		int wfd = open(wl, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (wfd >= 0)
			flock(wfd, LOCK_SH);
		r = wait_not_owner(c, deadline, timeout_ms, what);
		if (wfd >= 0)
			close(wfd);
		if (r < 0)
			return r;
		code = c->exit_code;
		sig = c->signal;
	}
	if (out_exit_code)
		*out_exit_code = code;
	if (out_signal)
		*out_signal = sig;
	berth__err_ok();
	return 0;
}

static int wait_not_owner(berth_container *c, long long deadline, int timeout_ms, const char *what)
{
	int r;
	{
		if ((r = berth__container_load_state(c)) < 0)
			return r;
		int pfd = c->status == BERTH_STATUS_STOPPED ? -1 : berth__container_pidfd(c);
		if (pfd >= 0) {
			struct pollfd p = { pfd, POLLIN, 0 };
			int n;
			do
				n = poll(&p, 1, deadline < 0 ? -1 : (int)(deadline - ms_now() > 0 ? deadline - ms_now() : 0));
			while (n < 0 && errno == EINTR);
			close(pfd);
			if (n == 0)
				return berth__err(BERTH_ETIMEOUT, "%s: still running after %d ms", what, timeout_ms);
		}
		for (;;) {
			if ((r = berth__container_load_state(c)) < 0)
				return r;
			const char *s = json_string_value(json_object_get(c->state, "status"));
			if (s && !strcmp(s, "stopped"))
				break;
			if (!owner_alive(c))
				break; /* nobody will record it */
			if (deadline >= 0 && ms_now() > deadline)
				return berth__err(BERTH_ETIMEOUT, "%s: exit status not recorded after %d ms", what, timeout_ms);
			struct timespec ts = { 0, 2000000 };
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

/* --- kill, stop --- */

int berth__container_pidfd(berth_container *c)
{
	if (c->owner && c->pidfd >= 0)
		return fcntl(c->pidfd, F_DUPFD_CLOEXEC, 0);
	if (c->pid <= 0)
		return -1;
	int fd = pidfd_open_(c->pid);
	if (fd < 0)
		return -1;
	/* the pid may have been reused between the state read and pidfd_open */
	if (!init_alive(c)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Every process in the init's pid namespace (same nsfs inode). */
static int kill_all(berth_container *c, int sig)
{
	char path[64];
	struct stat ref;
	snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)c->pid);
	if (stat(path, &ref) < 0)
		return 0;
	DIR *d = opendir("/proc");
	if (!d)
		return berth__err_sys(errno, "container %s: list processes", c->id);
	struct dirent *de;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		struct stat st;
		snprintf(path, sizeof path, "/proc/%ld/ns/pid", pid);
		if (stat(path, &st) == 0 && st.st_ino == ref.st_ino && st.st_dev == ref.st_dev)
			kill((pid_t)pid, sig);
	}
	closedir(d);
	return 0;
}

BERTH_EXTERN int berth_container_kill(berth_container *c, int sig, int all)
{
	if (!c)
		return berth__err(BERTH_EINVAL, "kill: container is NULL");
	if (sig < 0 || sig > 64)
		return berth__err(BERTH_EINVAL, "container %s: kill: invalid signal %d", c->id, sig);
	if (berth__container_load_state(c) < 0)
		return berth_error_last()->code;
	if (c->status != BERTH_STATUS_RUNNING && c->status != BERTH_STATUS_CREATED && c->status != BERTH_STATUS_PAUSED)
		return berth__err(BERTH_ESTATE, "container %s: cannot kill a %s container", c->id,
		                  berth_status_name(c->status));
	int fd = berth__container_pidfd(c);
	if (fd < 0)
		return berth__err(BERTH_ESTATE, "container %s: cannot kill: it is not running", c->id);
	int r = 0;
	if (all && sig != SIGKILL)
		r = kill_all(c, sig);
	if (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0 && errno != ESRCH)
		r = berth__err_sys(errno, "container %s: send signal %d", c->id, sig);
	close(fd);
	if (r == 0 && sig == SIGKILL && c->status == BERTH_STATUS_PAUSED) {
		/* a frozen (v1 freezer) process dies only once thawed */
		berth_cgroup *cg;
		if (berth_container_cgroup(&cg, c) == 0) {
			berth_cgroup_freeze(cg, 0);
			berth_cgroup_free(cg);
		}
		berth__err_ok();
	}
	if (r == 0)
		berth__err_ok();
	return r;
}

static int stop_signal(berth_container *c)
{
	json_int_t n = json_integer_value(json_object_get(json_object_get(c->state, BERTH__EXT_KEY), "stopSignal"));
	return n > 0 && n < 65 ? (int)n : SIGTERM;
}

BERTH_EXTERN int berth_container_stop(berth_container *c, int timeout_s)
{
	if (!c)
		return berth__err(BERTH_EINVAL, "stop: container is NULL");
	int r = berth__container_load_state(c);
	if (r < 0)
		return r;
	if (c->status == BERTH_STATUS_STOPPED) {
		berth__err_ok();
		return 0;
	}
	/* a frozen process cannot act on the stop signal: thaw it first (as Docker does) */
	if (c->status == BERTH_STATUS_PAUSED && (r = berth_container_resume(c)) < 0)
		return r;
	if (c->status == BERTH_STATUS_CREATED || timeout_s <= 0)
		r = berth_container_kill(c, SIGKILL, 0);
	else
		r = berth_container_kill(c, stop_signal(c), 0);
	if (r < 0 && r != BERTH_ESTATE)
		return r;
	r = berth_container_wait(NULL, NULL, c, timeout_s > 0 ? timeout_s * 1000 : -1);
	if (r == BERTH_ETIMEOUT) {
		if ((r = berth_container_kill(c, SIGKILL, 0)) < 0 && r != BERTH_ESTATE)
			return r;
		r = berth_container_wait(NULL, NULL, c, -1);
	}
	return r;
}

/* --- delete --- */

BERTH_EXTERN int berth_container_delete(berth_container *c, unsigned int flags)
{
	if (!c)
		return berth__err(BERTH_EINVAL, "delete: container is NULL");
	if (access(c->root_dir, F_OK) < 0)
		return berth__err(BERTH_ENOTFOUND, "container %s: no such container", c->id);
	int r = berth__container_load_state(c);
	if (r < 0 && !(flags & BERTH_DELETE_FORCE))
		return r;
	if (c->status != BERTH_STATUS_STOPPED) {
		if (!(flags & BERTH_DELETE_FORCE))
			return berth__err(BERTH_ESTATE, "container %s: cannot remove a %s container: stop it first or force",
			                  c->id, berth_status_name(c->status));
		berth_container_kill(c, SIGKILL, 0); /* thaws a paused one */
		if (c->owner && c->pidfd >= 0) {
			int code, sig;
			if (berth__wait_pidfd(c->pidfd, -1, &code, &sig, c->id) == 0) {
				close(c->pidfd);
				c->pidfd = -1;
			}
		} else {
			int fd = berth__container_pidfd(c);
			if (fd >= 0) {
				struct pollfd p = { fd, POLLIN, 0 };
				while (poll(&p, 1, 10000) < 0 && errno == EINTR)
					;
				close(fd);
			}
		}
	} else if (c->owner && c->pidfd >= 0) {
		/* stopped but not reaped by us yet */
		int code, sig;
		if (berth__wait_pidfd(c->pidfd, 0, &code, &sig, c->id) == 0) {
			close(c->pidfd);
			c->pidfd = -1;
		}
	}
	/* let waiters in other processes read the exit status (bounded) */
	char wl[PATH_MAX];
	snprintf(wl, sizeof wl, "%s/wait.lock", c->run_dir);
	int wfd = open(wl, O_RDWR | O_CLOEXEC);
	if (wfd >= 0) {
		for (int i = 0; i < 500 && flock(wfd, LOCK_EX | LOCK_NB) < 0; i++) {
			struct timespec ts = { 0, 10000000 };
			nanosleep(&ts, NULL);
		}
		close(wfd);
	}
	if ((r = BERTH_FAULT("container.delete.teardown")) < 0)
		return r; /* stopped, nothing removed yet: a second delete finishes it */
	/* the cgroup, if the owner did not remove it at exit (crash, or never reaped) */
	int oom;
	if ((r = berth__container_cgroup_finish(c, &oom, 1)) < 0 && !(flags & BERTH_DELETE_FORCE))
		return r;
	/* the network: veth, DNAT elements, address (after a crash of the owner too) */
	if ((r = berth__net_teardown(c->ctx, c->id, c->root_dir)) < 0 && !(flags & BERTH_DELETE_FORCE))
		return r;
	/* under the container lock: the owner (e.g. the monitor) records the exit
	 * status under it too, and skips that once the state is gone */
	/* another process's monitor: its exit frees what it holds (the host
	 * ports' reservations, the loopback proxy); a pidfd before the state goes */
	int owner_fd = -1;
	pid_t op = (pid_t)json_integer_value(json_object_get(c->state, "ownerPid"));
	char exe[PATH_MAX] = "", link[64];
	snprintf(link, sizeof link, "/proc/%d/exe", (int)op);
	ssize_t el = op > 0 && op != getpid() ? readlink(link, exe, sizeof exe - 1) : -1;
	if (el > 0)
		exe[el] = '\0';
	size_t xl = strlen(exe);
	if (xl >= 14 && !strcmp(exe + xl - 14, "/berth-monitor") && owner_alive(c)) {
		owner_fd = pidfd_open_(op);
		if (owner_fd >= 0 && !owner_alive(c)) { /* reused meanwhile */
			close(owner_fd);
			owner_fd = -1;
		}
	}
	int lk = berth__container_lock(c);
	name_release(c->ctx, c->name, c->id);
	json_t *vrec = berth__volumes_record(c->root_dir);
	r = berth__rm_rf(c->run_dir);
	if (r == 0)
		r = berth__rm_rf(c->root_dir);
	if (r == 0 && json_is_true(json_object_get(c->state, "orphanMark")))
		berth__orphan_unmark(c->ctx, c->id);
	if (lk >= 0)
		close(lk);
	/* its volumes are free once it is gone (anonymous ones removed with -v or --rm) */
	if (r == 0)
		berth__volumes_release(c->ctx, c->id, vrec, (flags & BERTH_DELETE_VOLUMES) != 0, 0);
	json_decref(vrec);
	if (owner_fd >= 0) {
		/* bounded: a monitor serving an attached terminal may linger */
		struct pollfd p = { owner_fd, POLLIN, 0 };
		while (r == 0 && poll(&p, 1, 2000) < 0 && errno == EINTR)
			;
		close(owner_fd);
	}
	if (r < 0)
		return r;
	c->status = BERTH_STATUS_STOPPED;
	berth__log(c->ctx, BERTH_LOG_INFO, "container %s: deleted", c->id);
	berth__err_ok();
	return 0;
}

/* --- getters --- */

BERTH_EXTERN const char *berth_container_id(const berth_container *c) { return c ? c->id : NULL; }
BERTH_EXTERN const char *berth_container_name(const berth_container *c) { return c ? c->name : NULL; }
BERTH_EXTERN int berth_container_status(const berth_container *c) { return c ? c->status : -1; }
BERTH_EXTERN int berth_container_pid(const berth_container *c)
{
	return c && c->status != BERTH_STATUS_STOPPED ? c->pid : 0;
}
BERTH_EXTERN int berth_container_exit_code(const berth_container *c)
{
	return c && c->status == BERTH_STATUS_STOPPED ? c->exit_code : -1;
}
BERTH_EXTERN const char *berth_container_log_path(const berth_container *c)
{
	if (!c)
		return NULL;
	return berth__container_has_log(c->state, c->log_path) > 0 ? c->log_path : "";
}

static const char *state_ext_str(const berth_container *c, const char *key)
{
	return c ? json_string_value(json_object_get(json_object_get(c->state, BERTH__EXT_KEY), key)) : NULL;
}

BERTH_EXTERN const char *berth_container_image(const berth_container *c) { return state_ext_str(c, "image"); }

BERTH_EXTERN const char *berth_container_network(const berth_container *c)
{
	const char *m = state_ext_str(c, "network");
	return c ? m ? m : "none" : NULL;
}

int berth__container_spec_json(json_t **out, berth_container *c)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/config.json", c->root_dir);
	int r = berth__json_load_file(out, path, "container config");
	if (r < 0)
		return berth__err_prefix("container %s", c->id);
	/* a container of berth 0.1: its io.berth.* annotations */
	if ((r = berth__spec_json_upgrade(*out)) < 0) {
		json_decref(*out);
		*out = NULL;
		return berth__err_prefix("container %s", c->id);
	}
	return 0;
}

BERTH_EXTERN int berth_container_spec(berth_spec **out, berth_container *c)
{
	if (!out || !c)
		return berth__err(BERTH_EINVAL, "spec: out and container are required");
	json_t *j;
	int r = berth__container_spec_json(&j, c);
	if (r < 0)
		return r;
	char *s = berth__json_dump(j, 0);
	json_decref(j);
	if (!s)
		return BERTH_ENOMEM;
	r = berth_spec_parse(out, s, strlen(s));
	free(s);
	return r;
}

BERTH_EXTERN int berth_container_inspect(char **out, berth_container *c)
{
	if (!out || !c)
		return berth__err(BERTH_EINVAL, "inspect: out and container are required");
	int r = berth__container_load_state(c);
	if (r < 0)
		return r;
	json_t *j = json_deep_copy(c->state);
	json_t *cfg = NULL;
	if (!j)
		return berth__err_nomem();
	if (berth__container_spec_json(&cfg, c) == 0)
		json_object_set_new(j, "config", cfg);
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/container.json", c->root_dir);
	json_t *meta = NULL;
	if (!json_object_get(j, "created") && berth__json_load_file(&meta, path, "container") == 0) {
		json_object_set(j, "created", json_object_get(meta, "created"));
		json_decref(meta);
	}
	json_object_set_new(j, "id", json_string(c->id));
	json_object_set_new(j, "name", json_string(c->name));
	json_object_set_new(j, "status", json_string(berth_status_name(c->status)));
	json_object_set_new(j, "pid", json_integer(berth_container_pid(c)));
	json_object_set_new(j, "exitCode", json_integer(berth_container_exit_code(c)));
	json_object_set_new(j, "logPath", json_string(berth_container_log_path(c)));
	json_object_set_new(j, "oomKilled", json_boolean(berth_container_oom_killed(c)));
	json_object_set_new(j, "supervised", json_boolean(c->supervised));
	json_t *vrec = berth__volumes_record(c->root_dir);
	if (vrec)
		json_object_set(j, "volumes", json_object_get(vrec, "Volumes"));
	json_decref(vrec);
	json_object_del(j, "pidStartTime");
	json_object_del(j, "ownerStartTime");
	/* the network: mode, and on a bridge network address, gateway, MAC and
	 * the published ports while the container has them */
	json_t *net = berth__net_record_load(c->root_dir);
	if (!net)
		net = json_pack("{s:s}", "mode", berth_container_network(c));
	if (net) {
		json_object_del(net, "veth");
		if (!json_object_get(net, "ports"))
			json_object_set_new(net, "ports", json_array());
		json_object_set_new(j, "network", net);
	}
	*out = berth__json_dump(j, 1);
	json_decref(j);
	if (!*out)
		return BERTH_ENOMEM;
	berth__err_ok();
	return 0;
}

BERTH_EXTERN int berth_container_take_console(int *out_fd, berth_container *c)
{
	if (!out_fd || !c)
		return berth__err(BERTH_EINVAL, "take console: out_fd and container are required");
	if (c->console_fd < 0)
		return berth__err(BERTH_ENOTFOUND, "container %s: no terminal to take (not a terminal container, or taken)",
		                  c->id);
	*out_fd = c->console_fd;
	c->console_fd = -1;
	return 0;
}
