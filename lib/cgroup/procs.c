/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Processes of a cgroup: attach (move all), join one controller, list pids. */
#include "cgroup/cgroup_priv.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

BERTH_EXTERN int berth_cgroup_attach(berth_cgroup *cg, int pid)
{
	if (!cg || pid <= 0)
		return berth__err(BERTH_EINVAL, "cgroup attach: %s", !cg ? "cg is NULL" : "bad pid");
	char val[32], label[128];
	snprintf(val, sizeof val, "%d", pid);
	for (size_t i = 0; i < cg->nv1; i++) {
		if (!cg->v1[i].dir)
			continue;
		snprintf(label, sizeof label, "%s/cgroup.procs", cg->v1[i].name);
		int r = berth__cg_write(cg, cg->v1[i].dir, "cgroup.procs", val, label);
		if (r < 0)
			return r;
	}
	if (cg->udir) {
		int r = berth__cg_write(cg, cg->udir, "cgroup.procs", val,
		                        cg->mode == BERTH_CGROUP_V2 ? "cgroup.procs" : "unified/cgroup.procs");
		if (r < 0)
			return r;
	}
	berth__err_ok();
	return 0;
}

/* Moves every process of the cgroup (as listed in from) into dir, again
 * until a pass finds none left outside (a fork during the move). */
static int move_procs(berth_cgroup *cg, const char *from, const char *dir, const char *label)
{
	for (int pass = 0; pass < 100; pass++) {
		pidvec have = { NULL, 0, 0 }, want = { NULL, 0, 0 };
		int r = berth__cg_collect_pids(&want, from, 0, 0);
		if (r == 0)
			r = berth__cg_collect_pids(&have, dir, 0, 0);
		if (r < 0) {
			free(have.v);
			free(want.v);
			return berth__err_sys(-r, "cgroup %s: %s: list processes", cg->rel, label);
		}
		size_t moved = 0;
		for (size_t i = 0; i < want.n; i++) {
			int in = 0;
			for (size_t j = 0; j < have.n && !in; j++)
				in = have.v[j] == want.v[i];
			if (in)
				continue;
			char val[32];
			snprintf(val, sizeof val, "%d", want.v[i]);
			r = berth__cg_write_raw(dir, "cgroup.procs", val);
			if (r < 0 && r != -ESRCH) { /* ESRCH: it exited meanwhile */
				free(have.v);
				free(want.v);
				return berth__err_sys(-r, "cgroup %s: %s: move process %s", cg->rel, label, val);
			}
			moved++;
		}
		free(have.v);
		free(want.v);
		if (!moved)
			return 0;
	}
	return berth__err(BERTH_ETIMEOUT, "cgroup %s: %s: processes kept appearing while moving them", cg->rel, label);
}

/* Makes the cgroup in the hierarchy mounted at mount and moves the
 * processes listed in from (NULL: none) there; *out_dir its path. Nothing
 * left on failure. */
static int join_one(char **out_dir, berth_cgroup *cg, const char *mount, int cpuset, int enable, const char *from,
                    const char *label)
{
	strvec made = { NULL, 0 };
	char *dir = berth__path_join(mount, cg->rel);
	if (!dir)
		return berth__err_nomem();
	int r = berth__cg_make_tree(cg, mount, cpuset, enable, &made);
	if (r == 0 && from)
		r = move_procs(cg, from, dir, label);
	if (r < 0) {
		for (size_t k = made.n; k-- > 0;)
			rmdir(made.v[k]);
		berth__cg_remove_parents(cg, mount);
		free(dir);
		dir = NULL;
	}
	berth__cg_strvec_free(&made);
	*out_dir = dir;
	return r;
}

int berth__cgroup_join_ctrl(berth_cgroup *cg, unsigned ctrl)
{
	const char *from = berth__cg_v1_procs_dir(cg);
	if (!from)
		from = cg->udir;
	int r;
	for (size_t i = 0; i < cg->nv1; i++) {
		berth__cg_hier *h = &cg->v1[i];
		if (!(h->ctrl & ctrl) || h->dir)
			continue;
		if ((r = join_one(&h->dir, cg, h->mount, (h->ctrl & BERTH__CG_CPUSET) != 0, 0, from, h->name)) < 0)
			return r;
	}
	if ((ctrl & BERTH__CG_HUGETLB) && cg->mode == BERTH_CGROUP_HYBRID && cg->umount && !cg->udir) {
		if ((r = join_one(&cg->udir, cg, cg->umount, 0, 1, from, "unified")) < 0)
			return r;
		berth__cg_read_uctrl(cg);
	}
	return 0;
}

/* The pids of dir's cgroup.procs and (recursive) of the cgroups below. 0 or -errno. */
int berth__cg_collect_pids(pidvec *pv, const char *dir, int recursive, int depth)
{
	char *txt;
	int r = berth__cg_slurp(&txt, dir, "cgroup.procs");
	if (r < 0)
		return r;
	for (char *p = txt; *p;) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (v > 0) {
			if (pv->n + 1 >= pv->cap) {
				size_t nc = pv->cap ? pv->cap * 2 : 64;
				int *nv = realloc(pv->v, nc * sizeof *nv);
				if (!nv) {
					free(txt);
					return -ENOMEM;
				}
				pv->v = nv;
				pv->cap = nc;
			}
			pv->v[pv->n++] = (int)v;
		}
		p = end;
		while (*p == '\n' || *p == ' ')
			p++;
	}
	free(txt);
	if (!recursive || depth >= 64)
		return 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char sub[PATH_MAX];
		if (berth__cg_join(sub, sizeof sub, dir, de->d_name) == 0 && (r = berth__cg_collect_pids(pv, sub, 1, depth + 1)) == -ENOMEM) {
			closedir(d);
			return r;
		}
	}
	closedir(d);
	return 0;
}

/* The v1 hierarchy to list processes from: pids, freezer, memory, any. */
const char *berth__cg_v1_procs_dir(const berth_cgroup *cg)
{
	const char *d = berth__cg_v1dir(cg, BERTH__CG_PIDS);
	if (!d)
		d = berth__cg_v1dir(cg, BERTH__CG_FREEZER);
	if (!d)
		d = berth__cg_v1dir(cg, BERTH__CG_MEMORY);
	for (size_t i = 0; !d && i < cg->nv1; i++)
		d = cg->v1[i].dir;
	return d;
}

/* "populated 1" in the unified cgroup.events (this cgroup or below). */
int berth__cg_unified_populated(const berth_cgroup *cg)
{
	char *ev;
	uint64_t v = 0;
	if (!cg->udir || berth__cg_slurp(&ev, cg->udir, "cgroup.events") < 0)
		return 0;
	int found = berth__cgroup_keyed(ev, "populated", &v) == 0;
	free(ev);
	return found && v;
}

BERTH_EXTERN int berth_cgroup_pids(int **out, berth_cgroup *cg)
{
	if (!out || !cg)
		return berth__err(BERTH_EINVAL, "cgroup pids: out and cg are required");
	const char *dir = NULL;
	if (cg->udir && (cg->mode == BERTH_CGROUP_V2 || berth__cg_unified_populated(cg)))
		dir = cg->udir;
	if (!dir)
		dir = berth__cg_v1_procs_dir(cg);
	if (!dir)
		dir = cg->udir;
	if (!dir)
		return berth__err(BERTH_ENOTFOUND, "cgroup %s: in no hierarchy", cg->rel);
	pidvec pv = { NULL, 0, 0 };
	int r = berth__cg_collect_pids(&pv, dir, 1, 0);
	if (r < 0) {
		free(pv.v);
		return berth__err_sys(-r, "cgroup %s: read %s/cgroup.procs", cg->rel, dir);
	}
	if (!pv.v && !(pv.v = malloc(sizeof(int))))
		return berth__err_nomem();
	pv.v[pv.n] = 0;
	*out = pv.v;
	berth__err_ok();
	return 0;
}

int berth__cgroup_procs_path(char *buf, size_t len, berth_cgroup *cg)
{
	if (!buf || !cg)
		return berth__err(BERTH_EINVAL, "cgroup procs path: buf and cg are required");
	const char *dir = cg->mode == BERTH_CGROUP_V2 ? cg->udir : berth__cg_v1_procs_dir(cg);
	if (!dir)
		dir = cg->udir;
	if (!dir)
		return berth__err(BERTH_ENOTFOUND, "cgroup %s: in no hierarchy", cg->rel);
	if (berth__cg_join(buf, len, dir, "cgroup.procs") < 0)
		return berth__err(BERTH_EINVAL, "cgroup %s: procs path: buffer too small", cg->rel);
	return 0;
}
