/* SPDX-License-Identifier: LGPL-2.1-or-later
 * cgroups on v1, hybrid and v2 hosts: discovery, open and
 * destroy; create in create.c, attach and pids in procs.c, freeze and kill in
 * freeze.c, file helpers in file.c, parsing in parse.c. Limits and
 * statistics are in set.c.
 *
 * Nothing is cached between calls: each handle holds the paths found when
 * it was made (mount points from /proc/self/mountinfo). */
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

static int v1_hiers(berth__cg_hier **out, size_t *n)
{
	char *mi;
	int r = berth__cg_slurp(&mi, "/proc/self", "mountinfo");
	if (r < 0)
		return berth__err_sys(-r, "cgroup: read /proc/self/mountinfo");
	r = berth__cgroup_parse_mountinfo(out, n, mi, CG_ROOT "/");
	free(mi);
	if (r < 0)
		return r;
	/* only the hierarchies visible at their mount point: a file system
	 * mounted over /sys (a fresh sysfs, as `ip netns exec` makes) hides
	 * those mountinfo still lists */
	size_t k = 0;
	for (size_t i = 0; i < *n; i++) {
		struct statfs sf;
		if (statfs((*out)[i].mount, &sf) == 0 && sf.f_type == CGROUP_SUPER_MAGIC)
			(*out)[k++] = (*out)[i];
		else {
			free((*out)[i].mount);
			free((*out)[i].name);
			free((*out)[i].dir);
		}
	}
	*n = k;
	return 0;
}

/* The mode, and (when hiers is not NULL) the v1 hierarchies found on the way:
 * one read of /proc/self/mountinfo for both. */
static int detect_hiers(int *mode, berth__cg_hier **hiers, size_t *nhiers)
{
	struct statfs sf;
	if (hiers) {
		*hiers = NULL;
		*nhiers = 0;
	}
	if (statfs(CG_ROOT, &sf) < 0) {
		*mode = BERTH_CGROUP_NONE;
		return 0;
	}
	if (sf.f_type == CGROUP2_SUPER_MAGIC) {
		*mode = BERTH_CGROUP_V2;
		return 0;
	}
	int unified = statfs(CG_UNIFIED, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
	berth__cg_hier *h = NULL;
	size_t n = 0;
	int r = v1_hiers(&h, &n);
	if (r < 0)
		return r;
	if (n)
		*mode = unified ? BERTH_CGROUP_HYBRID : BERTH_CGROUP_V1;
	else
		*mode = unified ? BERTH_CGROUP_HYBRID : BERTH_CGROUP_NONE;
	if (hiers) {
		*hiers = h;
		*nhiers = n;
	} else
		berth__cgroup_hiers_free(h, n);
	return 0;
}

static int detect(int *mode) { return detect_hiers(mode, NULL, NULL); }

BERTH_EXTERN int berth_cgroup_mode_detect(int *out_mode)
{
	if (!out_mode)
		return berth__err(BERTH_EINVAL, "cgroup mode: out_mode is NULL");
	int mode;
	int r = detect(&mode);
	if (r < 0)
		return r;
	*out_mode = mode;
	berth__err_ok();
	return 0;
}

BERTH_EXTERN const char *berth_cgroup_mode_name(int mode)
{
	switch (mode) {
	case BERTH_CGROUP_NONE: return "none";
	case BERTH_CGROUP_V1: return "v1";
	case BERTH_CGROUP_HYBRID: return "hybrid";
	case BERTH_CGROUP_V2: return "v2";
	default: return "unknown";
	}
}

BERTH_EXTERN void berth_cgroup_free(berth_cgroup *cg)
{
	if (!cg)
		return;
	berth__cgroup_hiers_free(cg->v1, cg->nv1);
	free(cg->rel);
	free(cg->umount);
	free(cg->udir);
	free(cg);
}

BERTH_EXTERN const char *berth_cgroup_path(const berth_cgroup *cg) { return cg ? cg->rel : NULL; }

BERTH_EXTERN int berth_cgroup_get_mode(const berth_cgroup *cg) { return cg ? cg->mode : BERTH_CGROUP_NONE; }

/* A handle with every hierarchy's path filled in (nothing made or checked). */
int berth__cg_handle_new(berth_cgroup **out, const char *parent, const char *path)
{
	int r;
	if (!parent)
		parent = "berth";
	if ((r = berth__cgroup_path_check("parent", parent)) < 0 || (r = berth__cgroup_path_check("path", path)) < 0)
		return r;
	int mode;
	berth__cg_hier *h;
	size_t nh;
	if ((r = detect_hiers(&mode, &h, &nh)) < 0)
		return r;
	if (mode == BERTH_CGROUP_NONE) {
		berth__cgroup_hiers_free(h, nh);
		return berth__err(BERTH_EUNSUPPORTED, "cgroup %s/%s: no cgroup file system is mounted on " CG_ROOT, parent,
		                  path);
	}
	berth_cgroup *cg = calloc(1, sizeof *cg);
	if (!cg) {
		berth__cgroup_hiers_free(h, nh);
		return berth__err_nomem();
	}
	cg->mode = mode;
	cg->v1 = h; /* the hierarchies detect found (none on v2) */
	cg->nv1 = nh;
	if (!(cg->rel = berth__sprintf("%s/%s", parent, path)))
		goto fail;
	if (mode == BERTH_CGROUP_V1 || mode == BERTH_CGROUP_HYBRID) {
		for (size_t i = 0; i < cg->nv1; i++)
			if (!(cg->v1[i].dir = berth__path_join(cg->v1[i].mount, cg->rel)))
				goto fail;
	}
	if (mode == BERTH_CGROUP_V2 || mode == BERTH_CGROUP_HYBRID) {
		if (!(cg->umount = berth__strdup(mode == BERTH_CGROUP_V2 ? CG_ROOT : CG_UNIFIED)) ||
		    !(cg->udir = berth__path_join(cg->umount, cg->rel)))
			goto fail;
	}
	*out = cg;
	return 0;
fail:
	berth_cgroup_free(cg);
	return berth_error_last()->code ? berth_error_last()->code : BERTH_ENOMEM;
}

void berth__cg_read_uctrl(berth_cgroup *cg)
{
	char buf[512];
	cg->uctrl = 0;
	if (cg->udir && berth__cg_read_line(buf, sizeof buf, cg->udir, "cgroup.controllers") == 0)
		cg->uctrl = berth__cg_ctrl_mask(buf);
}

BERTH_EXTERN int berth_cgroup_open(berth_cgroup **out, const char *parent, const char *path)
{
	if (!out)
		return berth__err(BERTH_EINVAL, "cgroup open: out is NULL");
	berth_cgroup *cg;
	int r = berth__cg_handle_new(&cg, parent, path);
	if (r < 0)
		return r;
	int found = 0;
	for (size_t i = 0; i < cg->nv1; i++) {
		if (berth__cg_is_dir(cg->v1[i].dir))
			found = 1;
		else {
			free(cg->v1[i].dir);
			cg->v1[i].dir = NULL;
		}
	}
	if (cg->udir) {
		if (berth__cg_is_dir(cg->udir))
			found = 1;
		else {
			free(cg->udir);
			cg->udir = NULL;
		}
	}
	if (!found) {
		r = berth__err(BERTH_ENOTFOUND, "cgroup %s: not found in any hierarchy", cg->rel);
		berth_cgroup_free(cg);
		return r;
	}
	berth__cg_read_uctrl(cg);
	*out = cg;
	berth__err_ok();
	return 0;
}

BERTH_EXTERN int berth_cgroup_unified_fd(const berth_cgroup *cg)
{
	if (!cg)
		return berth__err(BERTH_EINVAL, "cgroup unified fd: cg is NULL"), -1;
	if (!cg->udir)
		return -1; /* v1: not an error */
	int fd = open(cg->udir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth__err_sys(errno, "cgroup %s: open %s", cg->rel, cg->udir), -1;
	return fd;
}

/* rmdir of dir and every cgroup below it, deepest first. 0 or -errno. */
static int rm_tree(const char *dir, int depth)
{
	DIR *d = depth < 64 ? opendir(dir) : NULL;
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			char sub[PATH_MAX];
			if (berth__cg_join(sub, sizeof sub, dir, de->d_name) == 0)
				(void)rm_tree(sub, depth + 1);
		}
		closedir(d);
	}
	return rmdir(dir) < 0 ? -errno : 0;
}

/* rmdir of the parents of mount/rel up to its first component, while empty. */
void berth__cg_remove_parents(const berth_cgroup *cg, const char *mount)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", mount, cg->rel);
	size_t ml = strlen(mount);
	for (;;) {
		char *slash = strrchr(p, '/');
		if (!slash || (size_t)(slash - p) <= ml)
			break;
		*slash = '\0';
		if (rmdir(p) < 0)
			break; /* in use by another cgroup (EBUSY/ENOTEMPTY) or gone: fine */
	}
}

/* Removes mount/rel, waiting up to the deadline for exiting tasks, then the
 * empty parents up to the first component of rel. */
static int destroy_in(berth_cgroup *cg, const char *mount, const char *dir, uint64_t deadline)
{
	int r;
	for (;;) {
		r = rm_tree(dir, 0);
		if (r == 0 || r == -ENOENT)
			break;
		if ((r != -EBUSY && r != -ENOTEMPTY) || berth__cg_now() >= deadline)
			return berth__err_sys(-r, "cgroup %s: rmdir %s%s", cg->rel, dir,
			                      r == -EBUSY || r == -ENOTEMPTY ? " (processes remain)" : "");
		berth__cg_nap(10000);
	}
	berth__cg_remove_parents(cg, mount);
	return 0;
}

BERTH_EXTERN int berth_cgroup_destroy(berth_cgroup *cg)
{
	if (!cg)
		return berth__err(BERTH_EINVAL, "cgroup destroy: cg is NULL");
	uint64_t deadline = berth__cg_now() + DESTROY_TIMEOUT_NS;
	int first = 0;
	berth__err_saved saved = { 0, 0, NULL };
	for (size_t i = 0; i <= cg->nv1; i++) {
		const char *mount = i < cg->nv1 ? cg->v1[i].mount : cg->umount;
		const char *dir = i < cg->nv1 ? cg->v1[i].dir : cg->udir;
		if (!mount || !dir)
			continue;
		int r = destroy_in(cg, mount, dir, deadline);
		if (r < 0 && !first) {
			first = r;
			berth__err_save(&saved);
		}
	}
	if (first) {
		berth__err_restore(&saved);
		return first;
	}
	berth__err_ok();
	return 0;
}
