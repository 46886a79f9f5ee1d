/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Creating cgroups: the directories from the mount down, controllers
 * enabled in each parent (v2), cpuset inherited (v1). */
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

static int strvec_push(strvec *sv, const char *s)
{
	char **nv = realloc(sv->v, (sv->n + 1) * sizeof *nv);
	if (!nv)
		return berth__err_nomem();
	sv->v = nv;
	if (!(sv->v[sv->n] = strdup(s)))
		return berth__err_nomem();
	sv->n++;
	return 0;
}

void berth__cg_strvec_free(strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
}

/* v2: turn on in dir's cgroup.subtree_control every controller its
 * cgroup.controllers offers (one by one: some may refuse). */
static void enable_controllers(const char *dir)
{
	char have[512], on[512];
	if (berth__cg_read_line(have, sizeof have, dir, "cgroup.controllers") < 0 ||
	    berth__cg_read_line(on, sizeof on, dir, "cgroup.subtree_control") < 0)
		return;
	for (char *save = NULL, *t = strtok_r(have, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		/* already on? (compare names: not every controller has a bit) */
		int found = 0;
		for (const char *p = on; *p;) {
			size_t n = strcspn(p, " ");
			if (n == strlen(t) && !strncmp(p, t, n))
				found = 1;
			p += n;
			if (*p)
				p++;
		}
		if (found)
			continue;
		char cmd[80];
		snprintf(cmd, sizeof cmd, "+%s", t);
		(void)berth__cg_write_raw(dir, "cgroup.subtree_control", cmd);
	}
}

/* v1 cpuset: a new cgroup has empty cpus/mems; copy the parent's. 0 or -errno. */
static int cpuset_inherit(const berth_cgroup *cg, const char *parent, const char *dir)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	for (size_t i = 0; i < 2; i++) {
		char cur[1024], up[1024];
		int r = berth__cg_read_line(cur, sizeof cur, dir, files[i]);
		/* ENOENT/ENODEV: the cgroup is being removed (a concurrent destroy;
		 * kernfs drops the files before the directory): start again */
		if (r == -ENOENT || r == -ENODEV)
			return -ENOENT;
		if (r < 0)
			return berth__err_sys(-r, "cgroup %s: read %s/%s", cg->rel, dir, files[i]);
		if (cur[0])
			continue;
		if ((r = berth__cg_read_line(up, sizeof up, parent, files[i])) < 0) {
			if (r == -ENOENT || r == -ENODEV)
				return -ENOENT;
			return berth__err_sys(-r, "cgroup %s: read %s/%s", cg->rel, parent, files[i]);
		}
		if (!up[0])
			continue;
		if ((r = berth__cg_write_raw(dir, files[i], up)) < 0) {
			if (r == -ENOENT || r == -ENODEV)
				return -ENOENT;
			return berth__err_sys(-r, "cgroup %s: %s: copy %s from the parent", cg->rel, files[i], up);
		}
	}
	return 0;
}

/* mkdir -p of mount/rel, recording what it made. enable: 0 none, 1 turn on
 * controllers in our own dirs above the leaf, 2 also in the mount's root.
 * A concurrent destroy may remove a parent as we go: start again then. */
int berth__cg_make_tree(berth_cgroup *cg, const char *mount, int cpuset, int enable, strvec *made)
{
	char cur[PATH_MAX], next[PATH_MAX];
	for (int attempt = 0;; attempt++) {
		int again = 0;
		snprintf(cur, sizeof cur, "%s", mount);
		if (enable == 2)
			enable_controllers(cur);
		const char *s = cg->rel;
		while (*s) {
			size_t n = strcspn(s, "/");
			int leaf = s[n] == '\0';
			if (snprintf(next, sizeof next, "%s/%.*s", cur, (int)n, s) >= (int)sizeof next)
				return berth__err(BERTH_EINVAL, "cgroup %s: path too long below %s", cg->rel, mount);
			if (mkdir(next, 0755) == 0) {
				int r = strvec_push(made, next);
				if (r < 0) {
					rmdir(next);
					return r;
				}
			} else if (errno == EEXIST) {
				struct stat st;
				if (stat(next, &st) < 0) {
					if (errno != ENOENT || attempt >= 100)
						return berth__err_sys(errno, "cgroup %s: stat %s", cg->rel, next);
					again = 1; /* removed meanwhile by a concurrent destroy */
					break;
				}
				if (!S_ISDIR(st.st_mode))
					return berth__err(BERTH_EEXISTS, "cgroup %s: %s exists and is not a directory", cg->rel, next);
			} else if ((errno == ENOENT || errno == ENODEV) && attempt < 100) {
				again = 1; /* a parent went away (or is going) under us */
				break;
			} else
				return berth__err_sys(errno, "cgroup %s: mkdir %s", cg->rel, next);
			if (cpuset) {
				int r = cpuset_inherit(cg, cur, next);
				if (r == -ENOENT && attempt < 100) {
					again = 1;
					break;
				}
				if (r < 0)
					return r == -ENOENT ? berth__err_sys(ENOENT, "cgroup %s: %s vanished", cg->rel, next) : r;
			}
			if (enable && !leaf)
				enable_controllers(next);
			memcpy(cur, next, sizeof cur);
			s += n + (leaf ? 0 : 1);
		}
		if (!again)
			return 0;
		berth__cg_nap(1000);
	}
}

BERTH_EXTERN int berth_cgroup_create(berth_cgroup **out, const char *parent, const char *path)
{
	return berth__cgroup_create_need(out, parent, path, BERTH__CG_ALL);
}

int berth__cgroup_create_need(berth_cgroup **out, const char *parent, const char *path, unsigned need)
{
	if (!out)
		return berth__err(BERTH_EINVAL, "cgroup create: out is NULL");
	berth_cgroup *cg;
	int r = berth__cg_handle_new(&cg, parent, path);
	if (r < 0)
		return r;
	strvec made = { NULL, 0 };
	for (size_t i = 0; i < cg->nv1 && r == 0; i++) {
		if (need != BERTH__CG_ALL && !(cg->v1[i].ctrl & need)) {
			/* not needed now (named hierarchies, cpuset without a cpuset
			 * limit): joined later by berth__cgroup_join_ctrl if asked */
			free(cg->v1[i].dir);
			cg->v1[i].dir = NULL;
			continue;
		}
		r = berth__cg_make_tree(cg, cg->v1[i].mount, (cg->v1[i].ctrl & BERTH__CG_CPUSET) != 0, 0, &made);
	}
	if (r == 0 && cg->umount && cg->mode == BERTH_CGROUP_HYBRID && need != BERTH__CG_ALL &&
	    !(need & BERTH__CG_HUGETLB)) {
		/* hybrid: the unified hierarchy only carries hugetlb here */
		free(cg->udir);
		cg->udir = NULL;
	} else if (r == 0 && cg->umount) {
		size_t before = made.n;
		r = berth__cg_make_tree(cg, cg->umount, 0, cg->mode == BERTH_CGROUP_V2 ? 2 : 1, &made);
		int e = berth_error_last()->sys_errno;
		if (r < 0 && cg->mode == BERTH_CGROUP_HYBRID && (e == EROFS || e == EPERM || e == EACCES)) {
			/* hybrid: the unified hierarchy carries no limits; a read-only
			 * or forbidden one (in a container) is done without */
			while (made.n > before) {
				rmdir(made.v[--made.n]);
				free(made.v[made.n]);
			}
			berth__cg_remove_parents(cg, cg->umount);
			free(cg->udir);
			cg->udir = NULL;
			r = 0;
		}
	}
	if (r < 0) {
		/* no half-made cgroup: remove what this call made, deepest first */
		for (size_t i = made.n; i-- > 0;)
			rmdir(made.v[i]);
		/* and parents left empty (another cgroup's destroy may have left
		 * them to us) */
		for (size_t i = 0; i < cg->nv1; i++)
			berth__cg_remove_parents(cg, cg->v1[i].mount);
		if (cg->umount)
			berth__cg_remove_parents(cg, cg->umount);
		berth__cg_strvec_free(&made);
		berth_cgroup_free(cg);
		return r;
	}
	berth__cg_strvec_free(&made);
	berth__cg_read_uctrl(cg);
	*out = cg;
	berth__err_ok();
	return 0;
}
