/* SPDX-License-Identifier: LGPL-2.1-or-later
 * cgroups on v1, hybrid and v2 hosts: discovery, create/open/destroy,
 * attach, freeze, kill, pids. Limits and statistics are in set.c.
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

#define CG_ROOT "/sys/fs/cgroup"
#define CG_UNIFIED "/sys/fs/cgroup/unified"
#define FREEZE_TIMEOUT_NS 2000000000ull
#define DESTROY_TIMEOUT_NS 1000000000ull
#define KILL_TIMEOUT_NS 5000000000ull

/* --- small file helpers --- */

uint64_t berth__cg_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void berth__cg_nap(unsigned usec)
{
	struct timespec ts = { usec / 1000000, (long)(usec % 1000000) * 1000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int join(char *buf, size_t len, const char *dir, const char *file)
{
	int n = snprintf(buf, len, "%s/%s", dir, file);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int berth__cg_slurp(char **out, const char *dir, const char *file)
{
	char path[PATH_MAX];
	int r = join(path, sizeof path, dir, file);
	if (r < 0)
		return r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int berth__cg_read_line(char *buf, size_t len, const char *dir, const char *file)
{
	char path[PATH_MAX];
	int r = join(path, sizeof path, dir, file);
	if (r < 0)
		return r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n;
	while ((n = read(fd, buf, len - 1)) < 0 && errno == EINTR)
		;
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	size_t l = strlen(buf);
	while (l && (buf[l - 1] == ' ' || buf[l - 1] == '\t'))
		buf[--l] = '\0';
	return 0;
}

int berth__cg_read_u64(uint64_t *out, const char *dir, const char *file)
{
	char buf[64];
	int r = berth__cg_read_line(buf, sizeof buf, dir, file);
	if (r < 0)
		return r;
	if (!strcmp(buf, "max")) {
		*out = UINT64_MAX;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 10);
	if (end == buf || errno)
		return -EINVAL;
	*out = v;
	return 0;
}

int berth__cg_exists(const char *dir, const char *file)
{
	char path[PATH_MAX];
	return join(path, sizeof path, dir, file) == 0 && access(path, F_OK) == 0;
}

int berth__cg_write_raw(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	int r = join(path, sizeof path, dir, file);
	if (r < 0)
		return r;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = strlen(val);
	ssize_t n;
	while ((n = write(fd, val, len)) < 0 && errno == EINTR)
		;
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	return (size_t)n == len ? 0 : -EIO;
}

int berth__cg_write(const berth_cgroup *cg, const char *dir, const char *file, const char *val, const char *label)
{
	int r = berth__cg_write_raw(dir, file, val);
	if (r < 0)
		return berth__err_sys(-r, "cgroup %s: %s: write %s", cg->rel, label ? label : file, val);
	return 0;
}

const char *berth__cg_v1dir(const berth_cgroup *cg, unsigned ctrl)
{
	for (size_t i = 0; i < cg->nv1; i++)
		if ((cg->v1[i].ctrl & ctrl) && cg->v1[i].dir)
			return cg->v1[i].dir;
	return NULL;
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* --- parsing --- */

static const struct { const char *name; unsigned bit; } ctrl_names[] = {
	{ "cpu", BERTH__CG_CPU },         { "cpuacct", BERTH__CG_CPUACCT }, { "cpuset", BERTH__CG_CPUSET },
	{ "memory", BERTH__CG_MEMORY },   { "pids", BERTH__CG_PIDS },       { "freezer", BERTH__CG_FREEZER },
	{ "blkio", BERTH__CG_BLKIO },     { "io", BERTH__CG_BLKIO },        { "hugetlb", BERTH__CG_HUGETLB },
	{ "devices", BERTH__CG_DEVICES },
};

static unsigned ctrl_bit(const char *name, size_t len)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(ctrl_names); i++)
		if (strlen(ctrl_names[i].name) == len && !strncmp(ctrl_names[i].name, name, len))
			return ctrl_names[i].bit;
	return 0;
}

/* Controller names separated by spaces or commas -> bits. */
static unsigned ctrl_mask(const char *list)
{
	unsigned m = 0;
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, " ,\n\t");
		if (n)
			m |= ctrl_bit(p, n);
		p += n;
		if (*p)
			p++;
	}
	return m;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else
			*w++ = *r++;
	}
	*w = '\0';
}

void berth__cgroup_hiers_free(berth__cg_hier *h, size_t n)
{
	if (!h)
		return;
	for (size_t i = 0; i < n; i++) {
		free(h[i].mount);
		free(h[i].name);
		free(h[i].dir);
	}
	free(h);
}

int berth__cgroup_parse_mountinfo(berth__cg_hier **out, size_t *n, const char *text, const char *prefix)
{
	berth__cg_hier *h = NULL;
	char(*devs)[32] = NULL;
	size_t nh = 0;
	size_t pl = strlen(prefix);
	size_t plb = pl && prefix[pl - 1] == '/' ? pl - 1 : pl; /* the prefix itself, without its slash */
	const char *line = text;
	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t ll = eol ? (size_t)(eol - line) : strlen(line);
		char *l = malloc(ll + 1);
		if (!l)
			goto nomem;
		memcpy(l, line, ll);
		l[ll] = '\0';
		line = eol ? eol + 1 : NULL;
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		char dev[32], mp[4096], fstype[64], super[4096];
		char *dash = strstr(l, " - ");
		if (!dash || sscanf(l, "%*s %*s %31s %*s %4095s", dev, mp) != 2 ||
		    sscanf(dash + 3, "%63s %*s %4095s", fstype, super) != 2 || strcmp(fstype, "cgroup") != 0) {
			free(l);
			continue;
		}
		free(l);
		unescape(mp);
		if (!(strncmp(mp, prefix, pl) == 0 || (strlen(mp) == plb && strncmp(mp, prefix, plb) == 0)))
			continue;
		size_t i;
		for (i = 0; i < nh && strcmp(devs[i], dev) != 0; i++)
			;
		if (i < nh)
			continue; /* the same hierarchy mounted again */
		berth__cg_hier *nhp = realloc(h, (nh + 1) * sizeof *h);
		if (!nhp)
			goto nomem;
		h = nhp;
		char(*nd)[32] = realloc(devs, (nh + 1) * sizeof *devs);
		if (!nd)
			goto nomem;
		devs = nd;
		memcpy(devs[nh], dev, sizeof dev);
		const char *base = strrchr(mp, '/');
		h[nh].mount = strdup(mp);
		h[nh].name = strdup(base && base[1] ? base + 1 : mp);
		h[nh].dir = NULL;
		h[nh].ctrl = ctrl_mask(super);
		nh++;
		if (!h[nh - 1].mount || !h[nh - 1].name)
			goto nomem;
	}
	free(devs);
	*out = h;
	*n = nh;
	return 0;
nomem:
	free(devs);
	berth__cgroup_hiers_free(h, nh);
	return berth__err_nomem();
}

int berth__cgroup_keyed(const char *text, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p;) {
		if (!strncmp(p, key, kl) && (p[kl] == ' ' || p[kl] == '\t')) {
			*out = strtoull(p + kl + 1, NULL, 10);
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

void berth__cgroup_blkio_sum(const char *text, uint64_t *rd, uint64_t *wr)
{
	*rd = *wr = 0;
	for (const char *p = text; p && *p;) {
		char dev[64], op[16];
		unsigned long long v;
		if (sscanf(p, "%63s %15s %llu", dev, op, &v) == 3) {
			if (!strcmp(op, "Read"))
				*rd += v;
			else if (!strcmp(op, "Write"))
				*wr += v;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
}

void berth__cgroup_iostat_sum(const char *text, uint64_t *rbytes, uint64_t *wbytes, uint64_t *rios, uint64_t *wios)
{
	*rbytes = *wbytes = *rios = *wios = 0;
	for (const char *p = text; p && *p;) {
		const char *eol = strchr(p, '\n');
		const char *end = eol ? eol : p + strlen(p);
		const char *q = p;
		while (q < end) {
			const char *sp = memchr(q, ' ', (size_t)(end - q));
			const char *tok_end = sp ? sp : end;
			const char *eq = memchr(q, '=', (size_t)(tok_end - q));
			if (eq) {
				size_t kl = (size_t)(eq - q);
				uint64_t v = strtoull(eq + 1, NULL, 10);
				if (kl == 6 && !strncmp(q, "rbytes", 6))
					*rbytes += v;
				else if (kl == 6 && !strncmp(q, "wbytes", 6))
					*wbytes += v;
				else if (kl == 4 && !strncmp(q, "rios", 4))
					*rios += v;
				else if (kl == 4 && !strncmp(q, "wios", 4))
					*wios += v;
			}
			q = tok_end + 1;
		}
		p = eol ? eol + 1 : NULL;
	}
}

/* --- mode --- */

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

/* --- handles --- */

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
static int handle_new(berth_cgroup **out, const char *parent, const char *path)
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

static void read_uctrl(berth_cgroup *cg)
{
	char buf[512];
	cg->uctrl = 0;
	if (cg->udir && berth__cg_read_line(buf, sizeof buf, cg->udir, "cgroup.controllers") == 0)
		cg->uctrl = ctrl_mask(buf);
}

/* --- create --- */

static void remove_parents(const berth_cgroup *cg, const char *mount);

typedef struct { char **v; size_t n; } strvec;

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

static void strvec_free(strvec *sv)
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
static int make_tree(berth_cgroup *cg, const char *mount, int cpuset, int enable, strvec *made)
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
	int r = handle_new(&cg, parent, path);
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
		r = make_tree(cg, cg->v1[i].mount, (cg->v1[i].ctrl & BERTH__CG_CPUSET) != 0, 0, &made);
	}
	if (r == 0 && cg->umount && cg->mode == BERTH_CGROUP_HYBRID && need != BERTH__CG_ALL &&
	    !(need & BERTH__CG_HUGETLB)) {
		/* hybrid: the unified hierarchy only carries hugetlb here */
		free(cg->udir);
		cg->udir = NULL;
	} else if (r == 0 && cg->umount) {
		size_t before = made.n;
		r = make_tree(cg, cg->umount, 0, cg->mode == BERTH_CGROUP_V2 ? 2 : 1, &made);
		int e = berth_error_last()->sys_errno;
		if (r < 0 && cg->mode == BERTH_CGROUP_HYBRID && (e == EROFS || e == EPERM || e == EACCES)) {
			/* hybrid: the unified hierarchy carries no limits; a read-only
			 * or forbidden one (in a container) is done without */
			while (made.n > before) {
				rmdir(made.v[--made.n]);
				free(made.v[made.n]);
			}
			remove_parents(cg, cg->umount);
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
			remove_parents(cg, cg->v1[i].mount);
		if (cg->umount)
			remove_parents(cg, cg->umount);
		strvec_free(&made);
		berth_cgroup_free(cg);
		return r;
	}
	strvec_free(&made);
	read_uctrl(cg);
	*out = cg;
	berth__err_ok();
	return 0;
}

BERTH_EXTERN int berth_cgroup_open(berth_cgroup **out, const char *parent, const char *path)
{
	if (!out)
		return berth__err(BERTH_EINVAL, "cgroup open: out is NULL");
	berth_cgroup *cg;
	int r = handle_new(&cg, parent, path);
	if (r < 0)
		return r;
	int found = 0;
	for (size_t i = 0; i < cg->nv1; i++) {
		if (is_dir(cg->v1[i].dir))
			found = 1;
		else {
			free(cg->v1[i].dir);
			cg->v1[i].dir = NULL;
		}
	}
	if (cg->udir) {
		if (is_dir(cg->udir))
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
	read_uctrl(cg);
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

/* --- destroy --- */

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
			if (join(sub, sizeof sub, dir, de->d_name) == 0)
				(void)rm_tree(sub, depth + 1);
		}
		closedir(d);
	}
	return rmdir(dir) < 0 ? -errno : 0;
}

/* rmdir of the parents of mount/rel up to its first component, while empty. */
static void remove_parents(const berth_cgroup *cg, const char *mount)
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
	remove_parents(cg, mount);
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

/* --- attach, pids --- */

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

typedef struct { int *v; size_t n, cap; } pidvec;

static int collect_pids(pidvec *pv, const char *dir, int recursive, int depth);
static const char *v1_procs_dir(const berth_cgroup *cg);

/* Moves every process of the cgroup (as listed in from) into dir, again
 * until a pass finds none left outside (a fork during the move). */
static int move_procs(berth_cgroup *cg, const char *from, const char *dir, const char *label)
{
	for (int pass = 0; pass < 100; pass++) {
		pidvec have = { NULL, 0, 0 }, want = { NULL, 0, 0 };
		int r = collect_pids(&want, from, 0, 0);
		if (r == 0)
			r = collect_pids(&have, dir, 0, 0);
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
	int r = make_tree(cg, mount, cpuset, enable, &made);
	if (r == 0 && from)
		r = move_procs(cg, from, dir, label);
	if (r < 0) {
		for (size_t k = made.n; k-- > 0;)
			rmdir(made.v[k]);
		remove_parents(cg, mount);
		free(dir);
		dir = NULL;
	}
	strvec_free(&made);
	*out_dir = dir;
	return r;
}

int berth__cgroup_join_ctrl(berth_cgroup *cg, unsigned ctrl)
{
	const char *from = v1_procs_dir(cg);
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
		read_uctrl(cg);
	}
	return 0;
}

/* The pids of dir's cgroup.procs and (recursive) of the cgroups below. 0 or -errno. */
static int collect_pids(pidvec *pv, const char *dir, int recursive, int depth)
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
		if (join(sub, sizeof sub, dir, de->d_name) == 0 && (r = collect_pids(pv, sub, 1, depth + 1)) == -ENOMEM) {
			closedir(d);
			return r;
		}
	}
	closedir(d);
	return 0;
}

/* The v1 hierarchy to list processes from: pids, freezer, memory, any. */
static const char *v1_procs_dir(const berth_cgroup *cg)
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
static int unified_populated(const berth_cgroup *cg)
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
	if (cg->udir && (cg->mode == BERTH_CGROUP_V2 || unified_populated(cg)))
		dir = cg->udir;
	if (!dir)
		dir = v1_procs_dir(cg);
	if (!dir)
		dir = cg->udir;
	if (!dir)
		return berth__err(BERTH_ENOTFOUND, "cgroup %s: in no hierarchy", cg->rel);
	pidvec pv = { NULL, 0, 0 };
	int r = collect_pids(&pv, dir, 1, 0);
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
	const char *dir = cg->mode == BERTH_CGROUP_V2 ? cg->udir : v1_procs_dir(cg);
	if (!dir)
		dir = cg->udir;
	if (!dir)
		return berth__err(BERTH_ENOTFOUND, "cgroup %s: in no hierarchy", cg->rel);
	if (join(buf, len, dir, "cgroup.procs") < 0)
		return berth__err(BERTH_EINVAL, "cgroup %s: procs path: buffer too small", cg->rel);
	return 0;
}

/* --- freeze --- */

/* v1: freezer.state. wait_ns 0: do not wait for FROZEN. */
static int freeze_v1(berth_cgroup *cg, const char *dir, int frozen, uint64_t wait_ns, int report)
{
	const char *want = frozen ? "FROZEN" : "THAWED";
	int r = berth__cg_write_raw(dir, "freezer.state", want);
	if (r < 0)
		return report ? berth__err_sys(-r, "cgroup %s: freezer.state: write %s", cg->rel, want) : r;
	uint64_t start = berth__cg_now(), last = start;
	char st[32] = "";
	for (unsigned i = 0;; i++) {
		if ((r = berth__cg_read_line(st, sizeof st, dir, "freezer.state")) < 0)
			return report ? berth__err_sys(-r, "cgroup %s: read freezer.state", cg->rel) : r;
		if (!strcmp(st, want))
			return 0;
		uint64_t now = berth__cg_now();
		if (now - start >= wait_ns)
			break;
		if (now - last > 100000000ull) { /* ask again: tasks that were busy may be catchable now */
			berth__cg_write_raw(dir, "freezer.state", want);
			last = now;
		}
		berth__cg_nap(i < 20 ? 1000 : 10000);
	}
	if (frozen)
		berth__cg_write_raw(dir, "freezer.state", "THAWED"); /* do not leave it half frozen */
	if (!report)
		return -ETIMEDOUT;
	return berth__err(BERTH_ETIMEOUT, "cgroup %s: freezer.state: still %s, not %s, after %.1f s", cg->rel, st, want,
	                  (double)wait_ns / 1e9);
}

static int events_frozen(const char *dir, uint64_t *v)
{
	char *ev;
	int r = berth__cg_slurp(&ev, dir, "cgroup.events");
	if (r < 0)
		return r;
	r = berth__cgroup_keyed(ev, "frozen", v) == 0 ? 0 : -ENOENT;
	free(ev);
	return r;
}

/* v2: cgroup.freeze, then cgroup.events "frozen". */
static int freeze_v2(berth_cgroup *cg, const char *dir, int frozen, uint64_t wait_ns, int report)
{
	const char *want = frozen ? "1" : "0";
	int r = berth__cg_write_raw(dir, "cgroup.freeze", want);
	if (r < 0)
		return report ? berth__err_sys(-r, "cgroup %s: cgroup.freeze: write %s", cg->rel, want) : r;
	uint64_t start = berth__cg_now(), v = 0;
	for (unsigned i = 0;; i++) {
		if ((r = events_frozen(dir, &v)) < 0)
			return report ? berth__err_sys(-r, "cgroup %s: read cgroup.events", cg->rel) : r;
		if ((v != 0) == (frozen != 0))
			return 0;
		if (berth__cg_now() - start >= wait_ns)
			break;
		berth__cg_nap(i < 20 ? 1000 : 10000);
	}
	if (frozen)
		berth__cg_write_raw(dir, "cgroup.freeze", "0");
	if (!report)
		return -ETIMEDOUT;
	return berth__err(BERTH_ETIMEOUT, "cgroup %s: cgroup.events: not %s after %.1f s", cg->rel,
	                  frozen ? "frozen" : "thawed", (double)wait_ns / 1e9);
}

BERTH_EXTERN int berth_cgroup_freeze(berth_cgroup *cg, int frozen)
{
	if (!cg)
		return berth__err(BERTH_EINVAL, "cgroup freeze: cg is NULL");
	const char *d = berth__cg_v1dir(cg, BERTH__CG_FREEZER);
	int r;
	if (d)
		r = freeze_v1(cg, d, frozen, FREEZE_TIMEOUT_NS, 1);
	else if (cg->udir)
		r = freeze_v2(cg, cg->udir, frozen, FREEZE_TIMEOUT_NS, 1);
	else
		r = berth__err(BERTH_EUNSUPPORTED, "cgroup %s: %s: the freezer controller is not available here", cg->rel,
		               frozen ? "freeze" : "thaw");
	if (r == 0)
		berth__err_ok();
	return r;
}

BERTH_EXTERN int berth_cgroup_frozen(int *out, berth_cgroup *cg)
{
	if (!out || !cg)
		return berth__err(BERTH_EINVAL, "cgroup frozen: out and cg are required");
	const char *d = berth__cg_v1dir(cg, BERTH__CG_FREEZER);
	int r;
	if (d) {
		char st[32];
		if ((r = berth__cg_read_line(st, sizeof st, d, "freezer.state")) < 0)
			return berth__err_sys(-r, "cgroup %s: read freezer.state", cg->rel);
		*out = !strcmp(st, "FROZEN");
	} else if (cg->udir) {
		uint64_t v = 0;
		if ((r = events_frozen(cg->udir, &v)) < 0)
			return berth__err_sys(-r, "cgroup %s: read cgroup.events", cg->rel);
		*out = v != 0;
	} else
		*out = 0; /* nothing can freeze it */
	berth__err_ok();
	return 0;
}

/* --- kill --- */

/* Freeze (so nothing forks meanwhile), SIGKILL every pid, thaw; until the
 * cgroup is empty. v2: whether dir is unified. */
static int kill_loop(berth_cgroup *cg, const char *list_dir, const char *freezer_dir, int v2, uint64_t deadline)
{
	for (;;) {
		/* nothing left: done, without freezing (a freeze flips a kernel
		 * static key, which patches kernel text: costly on a VM) */
		pidvec first = { NULL, 0, 0 };
		int r0 = collect_pids(&first, list_dir, 1, 0);
		free(first.v);
		if ((r0 == 0 || r0 == -ENOENT) && first.n == 0)
			return 0;
		if (freezer_dir)
			(void)(v2 ? freeze_v2(cg, freezer_dir, 1, 200000000ull, 0) : freeze_v1(cg, freezer_dir, 1, 200000000ull, 0));
		pidvec pv = { NULL, 0, 0 };
		int r = collect_pids(&pv, list_dir, 1, 0);
		if (r < 0 && r != -ENOENT) {
			free(pv.v);
			if (freezer_dir)
				(void)(v2 ? berth__cg_write_raw(freezer_dir, "cgroup.freeze", "0")
				          : berth__cg_write_raw(freezer_dir, "freezer.state", "THAWED"));
			return berth__err_sys(-r, "cgroup %s: kill: read %s/cgroup.procs", cg->rel, list_dir);
		}
		for (size_t i = 0; i < pv.n; i++)
			kill(pv.v[i], SIGKILL);
		free(pv.v);
		if (freezer_dir) /* frozen tasks die once thawed */
			(void)(v2 ? berth__cg_write_raw(freezer_dir, "cgroup.freeze", "0")
			          : berth__cg_write_raw(freezer_dir, "freezer.state", "THAWED"));
		if (pv.n == 0)
			return 0;
		/* give them a moment to exit before looking again */
		for (int i = 0; i < 50; i++) {
			pidvec left = { NULL, 0, 0 };
			r = collect_pids(&left, list_dir, 1, 0);
			free(left.v);
			if (r < 0 || left.n == 0)
				break;
			berth__cg_nap(i < 20 ? 1000 : 5000);
		}
		if (berth__cg_now() >= deadline) {
			pidvec left = { NULL, 0, 0 };
			collect_pids(&left, list_dir, 1, 0);
			free(left.v);
			if (left.n)
				return berth__err(BERTH_ETIMEOUT, "cgroup %s: kill: %zu processes remain after %llu s", cg->rel,
				                  left.n, KILL_TIMEOUT_NS / 1000000000ull);
		}
	}
}

BERTH_EXTERN int berth_cgroup_kill(berth_cgroup *cg)
{
	if (!cg)
		return berth__err(BERTH_EINVAL, "cgroup kill: cg is NULL");
	uint64_t deadline = berth__cg_now() + KILL_TIMEOUT_NS;
	int r;
	if (cg->udir && (cg->mode == BERTH_CGROUP_V2 || unified_populated(cg))) {
		if ((r = berth__cg_write_raw(cg->udir, "cgroup.kill", "1")) == 0) {
			/* tasks frozen by the v1 freezer die only once thawed */
			const char *fz = berth__cg_v1dir(cg, BERTH__CG_FREEZER);
			if (fz)
				(void)berth__cg_write_raw(fz, "freezer.state", "THAWED");
			while (unified_populated(cg) && berth__cg_now() < deadline)
				berth__cg_nap(2000);
			if (unified_populated(cg))
				return berth__err(BERTH_ETIMEOUT, "cgroup %s: kill: processes remain after %llu s", cg->rel,
				                  KILL_TIMEOUT_NS / 1000000000ull);
		} else if (r == -ENOENT && is_dir(cg->udir)) { /* before Linux 5.14 */
			if ((r = kill_loop(cg, cg->udir, cg->udir, 1, deadline)) < 0)
				return r;
		} else if (r != -ENOENT)
			return berth__err_sys(-r, "cgroup %s: cgroup.kill: write 1", cg->rel);
	}
	const char *list = v1_procs_dir(cg);
	if (list && (r = kill_loop(cg, list, berth__cg_v1dir(cg, BERTH__CG_FREEZER), 0, deadline)) < 0)
		return r;
	berth__err_ok();
	return 0;
}
