/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Parsing for lib/cgroup: controller names, /proc/self/mountinfo, keyed
 * and blkio statistics files. */
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
unsigned berth__cg_ctrl_mask(const char *list)
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
		h[nh].ctrl = berth__cg_ctrl_mask(super);
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
