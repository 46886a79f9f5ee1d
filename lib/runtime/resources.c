/* SPDX-License-Identifier: LGPL-2.1-or-later
 * A container's cgroup: made at create, joined before the container's
 * processes run, read for stats, frozen for pause, removed at exit/delete. */
#include "runtime/container.h"
#include "spec/ext.h"
#include "cgroup/cgroup_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* parent/path of the container's cgroup from the spec: linux.cgroupsPath
 * ("/a/b/c" -> parent "a/b", path "c"), else <cgroup parent or "berth">/<id>. */
static int cgroup_location(char *parent, size_t pl, char *path, size_t ql, const berth__config *cfg, const char *id)
{
	const char *cp = cfg->cgroups_path;
	if (cp && *cp) {
		while (*cp == '/')
			cp++;
		const char *slash = strrchr(cp, '/');
		if (!slash || slash == cp || !slash[1])
			return berth__err(BERTH_EINVAL, "linux.cgroupsPath '%s': must be PARENT/NAME", cp);
		snprintf(parent, pl, "%.*s", (int)(slash - cp), cp);
		snprintf(path, ql, "%s", slash + 1);
	} else {
		const char *cgp = cfg->ext.cgroup_parent;
		snprintf(parent, pl, "%s", cgp && *cgp ? cgp : "berth");
		snprintf(path, ql, "%s", id);
	}
	int r = berth__cgroup_parent_check(parent);
	if (r < 0)
		return berth__err_prefix("container %s", id);
	return 0;
}

/* Removes a cgroup made for a container that will not be (the error stays). */
static void drop_cgroup(berth_cgroup *cg)
{
	berth__err_saved s;
	berth__err_save(&s);
	berth_cgroup_destroy(cg);
	berth_cgroup_free(cg);
	berth__err_restore(&s);
}

#define NO_CGROUPFS                                                                                         \
	"no cgroup file system is mounted at /sys/fs/cgroup (a private /sys, as under 'ip netns exec'?)"

/* The first limit a resources object asks for, in words. */
static const char *limit_name(const json_t *res)
{
	static const char *const names[][2] = {
		{ "memory", "a memory limit (linux.resources.memory)" },
		{ "cpu", "a CPU limit (linux.resources.cpu)" },
		{ "pids", "a process limit (linux.resources.pids)" },
		{ "blockIO", "a block I/O limit (linux.resources.blockIO)" },
		{ "hugepageLimits", "a huge page limit (linux.resources.hugepageLimits)" },
		{ "network", "a network class (linux.resources.network)" },
		{ "rdma", "an RDMA limit (linux.resources.rdma)" },
		{ "unified", "a cgroup v2 setting (linux.resources.unified)" },
		{ "devices", "a device rule (linux.resources.devices)" },
	};
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(names); i++)
		if (json_object_get(res, names[i][0]))
			return names[i][1];
	return "a resource limit (linux.resources)";
}

void berth__container_cgroup_warn(berth_ctx *ctx, const char *id)
{
	berth__log(ctx, BERTH_LOG_WARN, "container %s: runs without a cgroup (no limits, stats or pause): " NO_CGROUPFS,
	           id);
}

/* No cgroup file system visible: an error when limits were asked for, a
 * warning (and the state says so) otherwise. */
static int no_cgroupfs(berth_ctx *ctx, json_t *state, const json_t *res, const char *id)
{
	if (json_object_size(res))
		return berth__err(BERTH_EUNSUPPORTED, "container %s: %s needs cgroups, but " NO_CGROUPFS, id,
		                  limit_name(res));
	berth__err_ok();
	berth__container_cgroup_warn(ctx, id);
	if (state)
		json_object_set_new(state, "cgroupUnavailable", json_true());
	return 0;
}

int berth__container_cgroup_prepare(berth_cgroup **out, berth_ctx *ctx, json_t *state, const berth__config *cfg,
                                    const char *id, berth__plan *plan)
{
	*out = NULL;
	char parent[PATH_MAX], path[256];
	int r = cgroup_location(parent, sizeof parent, path, sizeof path, cfg, id);
	if (r < 0)
		return r;
	const json_t *res = cfg->resources;
	berth__cgroup_res limits; /* parsed and checked once, applied below */
	if ((r = berth__cgroup_res_from_json(&limits, res)) < 0 || (r = berth__cgroup_res_check(&limits, NULL, NULL)) < 0)
		return berth__err_prefix("container %s", id);
	berth_cgroup *cg;
	/* not cpuset, hugetlb or the named hierarchies unless a limit needs them
	 * (berth_cgroup_set joins them then) */
	unsigned need = BERTH__CG_ALL & ~(unsigned)(BERTH__CG_CPUSET | BERTH__CG_HUGETLB);
	if ((r = berth__cgroup_create_need(&cg, parent, path, need)) < 0)
		return r == BERTH_EUNSUPPORTED ? no_cgroupfs(ctx, state, res, id) : berth__err_prefix("container %s", id);
	int mode = berth_cgroup_get_mode(cg);
	if (json_object_size(res) && (r = berth__cgroup_set_res(cg, &limits)) < 0) {
		drop_cgroup(cg);
		return berth__err_prefix("container %s", id);
	}
	if ((r = berth__cgroup_devices_set(cg, res ? json_object_get(res, "devices") : NULL, cfg->ext.privileged)) < 0) {
		drop_cgroup(cg);
		return berth__err_prefix("container %s", id);
	}
	/* the container's view of /sys/fs/cgroup: only the hierarchies it is in
	 * (in the others its cgroup namespace root would be the host's root) */
	for (size_t i = 0; i < plan->n_mounts; i++) {
		berth__mount *m = &plan->mounts[i];
		if (!m->is_cgroup_v1 || !m->target)
			continue;
		const char *base = strrchr(m->target, '/');
		base = base ? base + 1 : m->target;
		if (!strcmp(base, "unified") || (m->fstype && !strcmp(m->fstype, "cgroup2"))) {
			m->skip = !cg->udir;
			continue;
		}
		for (size_t h = 0; h < cg->nv1; h++) {
			const char *hb = strrchr(cg->v1[h].mount, '/');
			if (hb && !strcmp(hb + 1, base))
				m->skip = !cg->v1[h].dir;
		}
	}
	plan->cgroup_fd = berth_cgroup_unified_fd(cg);
	if (mode != BERTH_CGROUP_V2) {
		if (!plan->userns && cg->nv1 <= BERTH_ARRAY_SIZE(plan->cgroup_procs_fds)) {
			/* v1 hierarchies: the child joins them itself (no round trip with
			 * the parent), through cgroup.procs files opened here */
			for (size_t i = 0; i < cg->nv1; i++) {
				if (!cg->v1[i].dir)
					continue;
				char procs[PATH_MAX];
				snprintf(procs, sizeof procs, "%s/cgroup.procs", cg->v1[i].dir);
				int fd = open(procs, O_WRONLY | O_CLOEXEC);
				if (fd < 0) {
					r = berth__err_sys(errno, "container %s: cgroup %s: open %s", id, cg->rel, procs);
					drop_cgroup(cg);
					return r;
				}
				plan->cgroup_procs_fds[plan->n_cgroup_procs++] = fd;
			}
		} else {
			/* in a user namespace: the parent attaches the child, which waits for it */
			plan->gate = 1;
		}
		/* the cgroup namespace is made once the child is in its cgroups */
		if (plan->clone_flags & CLONE_NEWCGROUP) {
			plan->clone_flags &= ~(unsigned long)CLONE_NEWCGROUP;
			plan->unshare_cgroupns = 1;
		}
	}
	if (state) {
		json_object_set_new(state, "cgroupParent", json_string(parent));
		json_object_set_new(state, "cgroupPath", json_string(path));
	}
	*out = cg;
	return 0;
}

/* After clone: v1 hierarchies need the explicit attach before the gate opens. */
int berth__container_cgroup_join(berth_cgroup *cg, pid_t pid, const berth__plan *plan, const char *what)
{
	if (!cg || !plan->gate || plan->n_cgroup_procs)
		return 0; /* none, or the child joins itself */
	int r = berth_cgroup_attach(cg, pid);
	return r < 0 ? berth__err_prefix("%s", what) : 0;
}

BERTH_EXTERN int berth_container_cgroup(berth_cgroup **out, berth_container *c)
{
	if (!out || !c)
		return berth__err(BERTH_EINVAL, "cgroup: out and container are required");
	if (!c->state && berth__container_load_state(c) < 0)
		return berth_error_last()->code;
	const char *parent = json_string_value(json_object_get(c->state, "cgroupParent"));
	const char *path = json_string_value(json_object_get(c->state, "cgroupPath"));
	if ((!parent || !path) && json_is_true(json_object_get(c->state, "cgroupUnavailable")))
		return berth__err(BERTH_EUNSUPPORTED, "container %s: has no cgroup: it was created when " NO_CGROUPFS,
		                  c->id);
	if (!parent || !path)
		return berth__err(BERTH_ENOTFOUND, "container %s: has no cgroup", c->id);
	int r = berth_cgroup_open(out, parent, path);
	return r < 0 ? berth__err_prefix("container %s", c->id) : 0;
}

/* At exit (by the owner) or delete: remember an OOM kill, remove the cgroup. */
int berth__container_cgroup_finish(berth_container *c, int *oom_killed, int kill_rest)
{
	berth_cgroup *cg;
	*oom_killed = 0;
	if (!json_object_get(c->state, "cgroupPath") || berth_container_cgroup(&cg, c) < 0) {
		berth__err_ok();
		return 0;
	}
	uint64_t kills = 0;
	if (berth__cgroup_oom_kills(&kills, cg) == 0 && kills > 0)
		*oom_killed = 1;
	int frozen = 0;
	if (berth_cgroup_frozen(&frozen, cg) == 0 && frozen)
		berth_cgroup_freeze(cg, 0);
	if (kill_rest)
		berth_cgroup_kill(cg);
	int r = berth_cgroup_destroy(cg);
	berth_cgroup_free(cg);
	return r < 0 ? berth__err_prefix("container %s", c->id) : 0;
}

static int set_status(berth_container *c, const char *from, const char *to, int status)
{
	int lk = berth__container_lock(c);
	if (lk < 0)
		return lk;
	int r = berth__container_load_state(c);
	const char *cur = json_string_value(json_object_get(c->state, "status"));
	if (r == 0 && (!cur || strcmp(cur, from) != 0))
		r = berth__err(BERTH_ESTATE, "container %s: is %s, not %s", c->id, berth_status_name(c->status), from);
	if (r == 0) {
		json_object_set_new(c->state, "status", json_string(to));
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/state.json", c->run_dir);
		r = berth__json_save_file(c->state, path);
		if (r == 0)
			c->status = status;
	}
	close(lk);
	return r;
}

static int freeze(berth_container *c, int frozen)
{
	int r = berth__container_load_state(c);
	if (r < 0)
		return r;
	if (frozen && c->status != BERTH_STATUS_RUNNING)
		return berth__err(BERTH_ESTATE, "container %s: cannot pause a %s container", c->id,
		                  berth_status_name(c->status));
	if (!frozen && c->status != BERTH_STATUS_PAUSED)
		return berth__err(BERTH_ESTATE, "container %s: cannot unpause a %s container: it is not paused", c->id,
		                  berth_status_name(c->status));
	berth_cgroup *cg;
	if ((r = berth_container_cgroup(&cg, c)) < 0)
		return r;
	r = berth_cgroup_freeze(cg, frozen);
	berth_cgroup_free(cg);
	if (r < 0)
		return berth__err_prefix("container %s", c->id);
	r = frozen ? set_status(c, "running", "paused", BERTH_STATUS_PAUSED)
	           : set_status(c, "paused", "running", BERTH_STATUS_RUNNING);
	if (r == 0) {
		berth__log(c->ctx, BERTH_LOG_INFO, "container %s: %s", c->id, frozen ? "paused" : "unpaused");
		berth__err_ok();
	}
	return r;
}

BERTH_EXTERN int berth_container_pause(berth_container *c)
{
	if (!c)
		return berth__err(BERTH_EINVAL, "pause: container is NULL");
	return freeze(c, 1);
}

BERTH_EXTERN int berth_container_resume(berth_container *c)
{
	if (!c)
		return berth__err(BERTH_EINVAL, "unpause: container is NULL");
	return freeze(c, 0);
}

BERTH_EXTERN int berth_container_update(berth_container *c, const berth_cgroup_resources *res)
{
	if (!c || !res)
		return berth__err(BERTH_EINVAL, "update: container and resources are required");
	int r = berth__container_load_state(c);
	if (r < 0)
		return r;
	if (c->status == BERTH_STATUS_STOPPED)
		return berth__err(BERTH_ESTATE, "container %s: cannot update a stopped container", c->id);
	/* validate through the spec (which also keeps the values for inspect) */
	berth_spec *spec;
	if ((r = berth_container_spec(&spec, c)) < 0)
		return r;
	if ((r = berth_spec_set_resources(spec, res)) < 0) {
		berth_spec_free(spec);
		return berth__err_prefix("container %s", c->id);
	}
	berth_cgroup *cg;
	if ((r = berth_container_cgroup(&cg, c)) < 0) {
		berth_spec_free(spec);
		return r;
	}
	r = berth_cgroup_set(cg, res);
	berth_cgroup_free(cg);
	if (r < 0) {
		berth_spec_free(spec);
		return berth__err_prefix("container %s", c->id);
	}
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/config.json", c->root_dir);
	int lk = berth__container_lock(c);
	json_t *cfg = berth__spec_json_with_ext(berth__spec_json(spec), &spec->ext); /* berth's settings kept */
	r = cfg ? berth__json_save_file(cfg, path) : BERTH_ENOMEM;
	json_decref(cfg);
	if (lk >= 0)
		close(lk);
	berth_spec_free(spec);
	if (r == 0)
		berth__err_ok();
	return r;
}

BERTH_EXTERN int berth_container_stats(berth_cgroup_stats *stats, berth_container *c)
{
	if (!stats || !c)
		return berth__err(BERTH_EINVAL, "stats: stats and container are required");
	int r = berth__container_load_state(c);
	if (r < 0)
		return r;
	if (c->status == BERTH_STATUS_STOPPED)
		return berth__err(BERTH_ESTATE, "container %s: no stats for a stopped container", c->id);
	berth_cgroup *cg;
	if ((r = berth_container_cgroup(&cg, c)) < 0)
		return r;
	r = berth_cgroup_stats_read(stats, cg);
	berth_cgroup_free(cg);
	return r < 0 ? berth__err_prefix("container %s", c->id) : 0;
}

BERTH_EXTERN int berth_container_oom_killed(const berth_container *c)
{
	return c && json_is_true(json_object_get(c->state, "oomKilled"));
}
