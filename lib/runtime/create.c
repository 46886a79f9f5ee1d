/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Container create in the calling process, as phases with the network
 * area's prepare / commit / abort shape: rootfs, name, run dir, volumes,
 * network, plan, cgroup, spawn, state. Each prepare either succeeds or
 * leaves what its abort can undo; a failure aborts the failed phase and every
 * one before it, last first; success commits them all (each hands what the
 * container keeps to its handle and releases the rest). Each phase is a
 * fault point (container.create.<name>) for tests/python/test_fault.py. */
#include "runtime/container.h"
#include "runtime/orphans.h"
#include "volume/volume.h"
#include "net/net.h"
#include "spec/ext.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct create_job {
	berth_ctx *ctx;
	const berth_create_options *opts;
	const char *id;
	char what[200];               /* "container <id>" */
	berth_container *c;
	berth__config *cfg;           /* owned by c; updated when volumes or network rewrite the spec */
	json_t *spec;                 /* the spec as stored: cfg->json, or cfg->rewritten */
	/* rootfs */
	char rootfs_abs[PATH_MAX];
	const berth__create_params *overlay; /* the builder's overlay (creation parameters), or NULL */
	char **layers;                /* an image's layer dirs, or NULL */
	int rootfs_mount_fd;
	int made_root, made_run, claimed;
	/* network, plan, cgroup, spawn */
	berth__netsetup *net;
	berth__plan plan;
	int terminal, start_now;
	int fifo;
	berth_cgroup *cg;
	json_t *state;                /* state.json being built; the cgroup phase writes its location */
	pid_t pid;
	int pidfd, sync, master;
} create_job;

typedef struct create_phase {
	const char *fault;                 /* the fault point passed after prepare, or NULL */
	int (*prepare)(create_job *j);
	void (*abort)(create_job *j);      /* undoes a whole or partial prepare; NULL: nothing to undo */
	void (*commit)(create_job *j);     /* on success: what the container keeps goes to it; NULL: nothing */
} create_phase;

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The spec now differs from the one parsed (volumes and the network rewrite
 * mounts, namespaces and the hostname): the config takes those from it. */
static int use_spec(create_job *j, json_t *rewritten)
{
	int r = berth__config_update(j->cfg, rewritten);
	json_decref(rewritten); /* the config holds it */
	j->spec = rewritten;
	return r < 0 ? berth__err_prefix("%s", j->what) : 0;
}

/* --- rootfs: <root>/containers/<id>, and the overlay, the image's layers or the given directory --- */

static int rootfs_prepare(create_job *j)
{
	const char *image = j->cfg->ext.image;
	int r;
	if (j->overlay || image) {
		/* the image's layers must be there before anything is made */
		if (!j->overlay && (r = berth__image_layers(&j->layers, j->ctx, image, j->id)) < 0)
			return r;
		berth__path_container(j->rootfs_abs, sizeof j->rootfs_abs, j->ctx->root, j->id, "rootfs");
	} else {
		struct stat st;
		if (!realpath(j->cfg->root_path, j->rootfs_abs))
			return berth__err_sys(errno, "%s: rootfs %s", j->what, j->cfg->root_path);
		if (stat(j->rootfs_abs, &st) < 0 || !S_ISDIR(st.st_mode))
			return berth__err(BERTH_EINVAL, "%s: rootfs %s: not a directory", j->what, j->rootfs_abs);
	}
	if (mkdir(j->c->root_dir, 0700) < 0)
		return errno == EEXIST ? berth__err(BERTH_EEXISTS, "container id %s: already exists", j->id)
		                       : berth__err_sys(errno, "%s: create %s", j->what, j->c->root_dir);
	j->made_root = 1;
	/* an overlay is made here and attached by the child; else a copy */
	if (j->overlay && (r = berth__given_overlay(&j->rootfs_mount_fd, j->overlay, j->c->root_dir, j->id)) < 0)
		return r;
	if (j->layers && (r = berth__image_rootfs(&j->rootfs_mount_fd, j->ctx, j->layers, j->c->root_dir, j->id)) < 0)
		return r;
	return 0;
}

static void rootfs_abort(create_job *j)
{
	if (j->made_root)
		berth__rm_rf(j->c->root_dir);
}

/* --- name: <root>/names/<name> --- */

static int name_prepare(create_job *j)
{
	const char *name = j->opts->name;
	if (!name || !*name)
		return 0;
	int r = berth__container_name_claim(j->ctx, name, j->id);
	if (r < 0)
		return r;
	j->claimed = 1;
	free(j->c->name);
	return (j->c->name = berth__strdup(name)) ? 0 : BERTH_ENOMEM;
}

static void name_abort(create_job *j)
{
	if (j->claimed)
		berth__container_name_release(j->ctx, j->opts->name, j->id);
}

/* --- run dir: <run_root>/containers/<id>, and the mark of a container that dies with its creator --- */

static int rundir_prepare(create_job *j)
{
	if (mkdir(j->c->run_dir, 0700) < 0)
		return berth__err_sys(errno, "%s: create %s", j->what, j->c->run_dir);
	j->made_run = 1;
	return (j->opts->flags & BERTH__CREATE_DIE_WITH_OWNER) ? berth__orphan_mark(j->ctx, j->id) : 0;
}

static void rundir_abort(create_job *j)
{
	if (!j->made_run)
		return;
	berth__rm_rf(j->c->run_dir);
	if (j->opts->flags & BERTH__CREATE_DIE_WITH_OWNER)
		berth__orphan_unmark(j->ctx, j->id);
}

/* --- volumes: created, seeded and marked used; the stored spec binds them --- */

static int volumes_prepare(create_job *j)
{
	json_t *vspec = NULL;
	int r = berth__volumes_attach(&vspec, j->ctx, j->spec, j->id, j->c->root_dir, j->layers, j->rootfs_abs,
	                              j->opts->flags);
	return r < 0 ? r : vspec ? use_spec(j, vspec) : 0;
}

static void volumes_abort(create_job *j)
{
	/* the record lives in the container's directory, removed after this */
	json_t *rec = berth__volumes_record(j->c->root_dir);
	berth__volumes_release(j->ctx, j->id, rec, 1, 1);
	json_decref(rec);
}

/* --- network: bridge (address, ports, /etc files) or container:ID (its netns); none costs nothing --- */

/* What the network area gets of the spec's settings. */
berth__net_request berth__container_net_request(const berth__spec_ext *e)
{
	return (berth__net_request){ berth__spec_ext_network(e), e->ports, e->n_ports, (const char *const *)e->dns };
}

static int network_prepare(create_job *j)
{
	berth__net_request req = berth__container_net_request(&j->cfg->ext);
	if (!strcmp(req.mode, "none"))
		return 0;
	json_t *own = json_deep_copy(j->spec); /* the setup adds its mounts and hostname */
	if (!own)
		return berth__err_nomem();
	int r = berth__net_prepare(&j->net, j->ctx, j->id, j->c->root_dir, own, &req);
	if (r < 0) {
		json_decref(own);
		return r;
	}
	return use_spec(j, own);
}

static void network_abort(create_job *j)
{
	berth__net_abort(j->net);
	j->net = NULL;
}

static void network_commit(create_job *j)
{
	berth_container *c = j->c;
	berth__net_done(j->net, &c->port_fds, &c->ports, &c->n_ports, &c->net_addr);
	j->net = NULL;
}

/* --- plan: the stored config.json, the start gate, and everything the child needs --- */

/* A caller's fd, or the container's own /dev/null (opened by the child in
 * the container: never the host's, which root inside could chmod). */
static int stdio_fd(int given)
{
	return given >= 0 ? given : BERTH__STDIO_NULL;
}

static int plan_prepare(create_job *j)
{
	const berth_create_options *opts = j->opts;
	char path[PATH_MAX];
	int r;
	snprintf(path, sizeof path, "%s/config.json", j->c->root_dir);
	json_t *doc = berth__spec_json_with_ext(j->spec, &j->cfg->ext); /* OCI and berth's own settings */
	r = doc ? berth__json_save_file(doc, path) : BERTH_ENOMEM;
	json_decref(doc);
	if (r < 0)
		return r;
	/* BERTH_CREATE_START: no created state, the init execs once set up */
	j->start_now = (opts->flags & BERTH_CREATE_START) != 0;
	snprintf(path, sizeof path, "%s/exec.fifo", j->c->run_dir);
	if (!j->start_now && (mkfifo(path, 0600) < 0 || (j->fifo = open(path, O_RDWR | O_CLOEXEC)) < 0))
		return berth__err_sys(errno, "%s: exec fifo %s", j->what, path);
	char cache[PATH_MAX];
	berth__path_seccomp_cache(cache, sizeof cache, j->ctx->root);
	j->plan.seccomp_cache = cache;
	r = berth__plan_from_config(&j->plan, j->cfg, j->rootfs_abs);
	j->plan.seccomp_cache = NULL;
	if (r < 0)
		return berth__err_prefix("%s", j->what);
	j->plan.rootfs_mount_fd = j->rootfs_mount_fd;
	if (opts->flags & BERTH__CREATE_DIE_WITH_OWNER)
		j->plan.pdeathsig = SIGKILL;
	j->terminal = opts->stdio_mode == BERTH_STDIO_TERMINAL || j->cfg->process.terminal;
	if (j->terminal) {
		j->plan.terminal = 1;
	} else {
		/* BERTH_STDIO_LOG here (in the monitor): its pipes, never a file */
		j->plan.stdio[0] = stdio_fd(opts->stdin_fd);
		j->plan.stdio[1] = stdio_fd(opts->stdout_fd);
		j->plan.stdio[2] = stdio_fd(opts->stderr_fd);
	}
	j->plan.exec_fifo_fd = j->fifo;
	return 0;
}

/* --- cgroup: made, limited, and the plan told how to enter it --- */

static int cgroup_prepare(create_job *j)
{
	int r = berth__container_cgroup_prepare(&j->cg, j->ctx, j->state, j->cfg, j->id, &j->plan);
	if (r == 0 && j->net)
		j->plan.gate = 1; /* the veth goes into the child's netns before it goes on */
	return r;
}

static void cgroup_abort(create_job *j)
{
	if (!j->cg)
		return;
	berth_cgroup_kill(j->cg);
	berth_cgroup_destroy(j->cg);
}

/* --- spawn: the init, through the gate (id maps, cgroup, veth) to its "ready" --- */

static int write_id_maps(pid_t pid, const berth__config *cfg, const char *id)
{
	static const char *const keys[2] = { "uidMappings", "gidMappings" };
	static const char *const files[2] = { "uid_map", "gid_map" };
	for (int k = 0; k < 2; k++) {
		char buf[4096] = "";
		size_t len = 0;
		const berth__cfg_idmap *maps = k ? cfg->gid_maps : cfg->uid_maps;
		size_t n = k ? cfg->n_gid_maps : cfg->n_uid_maps;
		for (size_t i = 0; i < n; i++) {
			len += (size_t)snprintf(buf + len, sizeof buf - len, "%u %u %u\n", maps[i].container_id,
			                        maps[i].host_id, maps[i].size);
			if (len >= sizeof buf)
				return berth__err(BERTH_EINVAL, "container %s: linux.%s: too many mappings", id, keys[k]);
		}
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, files[k]);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return berth__err_sys(errno, "container %s: open %s", id, path);
		ssize_t w = write(fd, buf, len);
		int e = errno;
		close(fd);
		if (w != (ssize_t)len)
			return berth__err_sys(e, "container %s: linux.%s: the kernel refused the mapping '%.*s'", id, keys[k],
			                      (int)(len && buf[len - 1] == '\n' ? len - 1 : len), buf);
	}
	return 0;
}

/* The parent's part before the child goes on: its id maps, the v1 cgroup
 * attach and the veth, then the go. */
static int open_gate(create_job *j)
{
	berth__plan *p = &j->plan;
	int r;
	if (!p->userns && !p->gate)
		return 0;
	if ((p->userns && (r = write_id_maps(j->pid, j->cfg, j->id)) < 0) ||
	    (r = berth__container_cgroup_join(j->cg, j->pid, p, j->what)) < 0 || (r = berth__net_attach(j->net, j->pid)) < 0) {
		close_fd(&j->sync); /* the child reads EOF and exits */
		return r;
	}
	if (write(j->sync, "M", 1) != 1)
		return berth__err_sys(errno, "%s: signal the init", j->what);
	return 0;
}

static int spawn_prepare(create_job *j)
{
	int r;
	if ((r = berth__spawn(&j->pid, &j->pidfd, &j->sync, &j->plan, j->what)) < 0 ||
	    (r = BERTH_FAULT("container.create.spawn")) < 0 || (r = open_gate(j)) < 0)
		return r;
	if ((j->terminal && (r = berth__spawn_recv_console(&j->master, j->sync, j->pid, j->pidfd, j->what)) < 0) ||
	    (r = berth__spawn_wait_ready(j->sync, j->pid, j->pidfd, j->what)) < 0) {
		j->pid = 0; /* reaped */
		return r;
	}
	close_fd(&j->sync);
	close_fd(&j->fifo); /* the init holds it open: start writes, the init reads */
	return 0;
}

static void spawn_abort(create_job *j)
{
	if (j->pid > 0) {
		syscall(SYS_pidfd_send_signal, j->pidfd, SIGKILL, NULL, 0);
		siginfo_t si;
		while (waitid(P_PIDFD, (id_t)j->pidfd, &si, WEXITED) < 0 && errno == EINTR)
			;
	}
}

static void spawn_commit(create_job *j)
{
	berth_container *c = j->c;
	c->status = j->start_now ? BERTH_STATUS_RUNNING : BERTH_STATUS_CREATED;
	c->pid = j->pid;
	c->pidfd = j->pidfd;
	c->owner = 1;
	c->console_fd = j->master;
	j->pidfd = j->master = -1;
}

/* --- state: state.json (runtime) and container.json (persists) --- */

/* Who keeps a log and how: the monitor passes its driver explicitly (for a
 * terminal too); BERTH_STDIO_LOG means the default driver. */
static void state_set_log(json_t *st, const berth_create_options *opts, int terminal)
{
	const char *driver = opts->log_driver;
	if (!driver && opts->stdio_mode == BERTH_STDIO_LOG && !terminal)
		driver = "local";
	if (!driver)
		return;
	json_object_set_new(st, "logDriver", json_string(driver));
	json_object_set_new(st, "logMaxSize", json_integer(opts->log_max_size ? opts->log_max_size : BERTH_LOG_DEFAULT_MAX_SIZE));
	json_object_set_new(st, "logMaxFile", json_integer(opts->log_max_file ? opts->log_max_file : BERTH_LOG_DEFAULT_MAX_FILE));
}

static int state_prepare(create_job *j)
{
	const berth_create_options *opts = j->opts;
	berth_container *c = j->c;
	json_t *st = j->state;
	pid_t self = getpid();
	json_object_set_new(st, "ociVersion", json_string("1.2.0"));
	json_object_set_new(st, "id", json_string(j->id));
	json_object_set_new(st, "name", json_string(c->name));
	json_object_set_new(st, "status", json_string(j->start_now ? "running" : "created"));
	json_object_set_new(st, "pid", json_integer(j->pid));
	json_object_set_new(st, "pidStartTime", json_integer((json_int_t)berth__proc_start_time(j->pid)));
	json_object_set_new(st, "ownerPid", json_integer(self));
	json_object_set_new(st, "ownerStartTime", json_integer((json_int_t)berth__proc_start_time(self)));
	json_object_set_new(st, "bundle", json_string(c->root_dir));
	json_object_set_new(st, "rootfs", json_string(j->rootfs_abs));
	json_object_set_new(st, "terminal", json_boolean(j->terminal));
	json_object_set_new(st, "stdio", json_string(j->terminal ? "terminal" : opts->stdio_mode == BERTH_STDIO_LOG ? "log" : "fds"));
	state_set_log(st, opts, j->terminal);
	json_object_set_new(st, "logPath", json_string(berth__container_has_log(st, c->log_path) > 0 ? c->log_path : ""));
	if (opts->flags & BERTH_CREATE_REMOVE)
		json_object_set_new(st, "autoRemove", json_true());
	if (opts->flags & BERTH__CREATE_DIE_WITH_OWNER)
		json_object_set_new(st, "orphanMark", json_true());
	berth__container_set_time(st, "created");
	if (j->start_now)
		berth__container_set_time(st, "started");
	/* berth's settings as later commands read them (schema 2), and the
	 * caller's annotations as the OCI state has them */
	json_t *ext = berth__spec_ext_json(&j->cfg->ext);
	if (!ext || json_object_set_new(st, BERTH__EXT_KEY, ext) < 0 ||
	    json_object_set_new(st, BERTH__STATE_VERSION_KEY, json_integer(BERTH__STATE_VERSION)) < 0)
		return berth__err_nomem();
	if (j->cfg->annotations)
		json_object_set(st, "annotations", (json_t *)j->cfg->annotations);
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/container.json", c->root_dir);
	json_t *meta = json_pack("{s:s, s:s, s:O}", "id", j->id, "name", c->name, "created", json_object_get(st, "created"));
	int r = meta ? berth__json_save_file(meta, path) : berth__err_nomem();
	json_decref(meta);
	if (r < 0 || (r = BERTH_FAULT("container.create.state")) < 0)
		return r;
	json_decref(c->state);
	c->state = json_incref(st);
	return berth__container_save_state(c);
}

static const create_phase phases[] = {
	{ "container.create.rootfs", rootfs_prepare, rootfs_abort, NULL },
	{ "container.create.name", name_prepare, name_abort, NULL },
	{ "container.create.rundir", rundir_prepare, rundir_abort, NULL },
	{ "container.create.volumes", volumes_prepare, volumes_abort, NULL },
	{ "container.create.network", network_prepare, network_abort, network_commit },
	{ "container.create.plan", plan_prepare, NULL, NULL },
	{ "container.create.cgroup", cgroup_prepare, cgroup_abort, NULL },
	{ "container.create.ready", spawn_prepare, spawn_abort, spawn_commit },
	{ NULL, state_prepare, NULL, NULL },
};

/* What every outcome releases: the job's own fds, plan and references. */
static void job_release(create_job *j)
{
	close_fd(&j->pidfd);
	close_fd(&j->sync);
	close_fd(&j->fifo);
	close_fd(&j->master);
	close_fd(&j->rootfs_mount_fd);
	berth__plan_free(&j->plan);
	berth_cgroup_free(j->cg);
	free(j->layers);
	json_decref(j->state);
}

int berth__container_create_in_process(berth_container **out, berth_ctx *ctx, berth__config *cfg,
                                       const berth_create_options *opts, const char *id,
                                       const berth__create_params *params)
{
	create_job j = { .ctx = ctx, .opts = opts, .id = id, .cfg = cfg, .spec = cfg->json, .rootfs_mount_fd = -1,
	                 .fifo = -1, .pidfd = -1, .sync = -1, .master = -1,
	                 .overlay = params && params->overlay_upper ? params : NULL };
	snprintf(j.what, sizeof j.what, "container %s", id);
	berth__plan_init(&j.plan);
	if (!(j.c = berth__container_alloc(ctx, id)) || !(j.state = json_object())) {
		berth_container_free(j.c);
		berth__config_free(cfg);
		json_decref(j.state);
		return berth__err_nomem();
	}
	j.c->config = cfg; /* freed with the container */
	size_t n = 0;
	int r = 0;
	while (n < BERTH_ARRAY_SIZE(phases) && r == 0) {
		const create_phase *ph = &phases[n++];
		if ((r = ph->prepare(&j)) == 0 && ph->fault)
			r = BERTH_FAULT(ph->fault);
	}
	if (r < 0) {
		berth__err_saved saved;
		berth__err_save(&saved);
		berth__log(ctx, BERTH_LOG_ERROR, "container %s: create failed: %s", id, saved.message ? saved.message : "");
		while (n-- > 0)
			if (phases[n].abort)
				phases[n].abort(&j);
		job_release(&j);
		berth_container_free(j.c);
		berth__err_restore(&saved);
		return r;
	}
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(phases); i++)
		if (phases[i].commit)
			phases[i].commit(&j);
	job_release(&j);
	berth__log(ctx, BERTH_LOG_INFO, j.start_now ? "container %s: created and started, init pid %d" : "container %s: created, init pid %d",
	           id, (int)j.c->pid);
	*out = j.c;
	berth__err_ok();
	return 0;
}
