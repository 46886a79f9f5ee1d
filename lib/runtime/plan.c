/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Turns a validated spec into a berth__plan: everything the child needs,
 * computed before clone (mount flags, capability masks, the seccomp program,
 * argv/envp, the $PATH search list). */
#include "runtime/runtime.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <strings.h>
#include <linux/seccomp.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <dirent.h>
#include <sys/sysmacros.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef struct arena_node { struct arena_node *next; } arena_node;

static void *pa(berth__plan *p, size_t n)
{
	arena_node *a = calloc(1, sizeof(arena_node) + n + 1);
	if (!a) {
		berth__err_nomem();
		return NULL;
	}
	a->next = p->arena;
	p->arena = a;
	return a + 1;
}

static char *pstrdup(berth__plan *p, const char *s)
{
	size_t n = strlen(s);
	char *r = pa(p, n + 1);
	if (r)
		memcpy(r, s, n + 1);
	return r;
}

int berth__plan_init(berth__plan *p)
{
	memset(p, 0, sizeof *p);
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(p->ns_join_fds); i++)
		p->ns_join_fds[i] = -1;
	p->join_pid_fd = -1;
	p->setns_pidfd = -1;
	p->cgroup_fd = -1;
	p->stdio[0] = p->stdio[1] = p->stdio[2] = -1;
	p->sync_fd = -1;
	p->exec_fifo_fd = -1;
	p->rootfs_mount_fd = -1;
	p->umask = -1;
	return 0;
}

void berth__plan_free(berth__plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(p->ns_join_fds); i++)
		if (p->ns_join_fds[i] >= 0)
			close(p->ns_join_fds[i]);
	if (p->join_pid_fd >= 0)
		close(p->join_pid_fd);
	if (p->cgroup_fd >= 0)
		close(p->cgroup_fd);
	p->cgroup_fd = -1;
	for (size_t i = 0; i < p->n_cgroup_procs; i++)
		close(p->cgroup_procs_fds[i]);
	p->n_cgroup_procs = 0;
	free(p->seccomp.filter);
	arena_node *a = p->arena;
	while (a) {
		arena_node *n = a->next;
		free(a);
		a = n;
	}
	p->arena = NULL;
	p->seccomp.filter = NULL;
}

/* --- mount options --- */

static const struct { const char *name; int clear; unsigned long flag; } mount_flags[] = {
	{ "ro", 0, MS_RDONLY },       { "rw", 1, MS_RDONLY },         { "nosuid", 0, MS_NOSUID },
	{ "suid", 1, MS_NOSUID },     { "nodev", 0, MS_NODEV },       { "dev", 1, MS_NODEV },
	{ "noexec", 0, MS_NOEXEC },   { "exec", 1, MS_NOEXEC },       { "sync", 0, MS_SYNCHRONOUS },
	{ "async", 1, MS_SYNCHRONOUS }, { "dirsync", 0, MS_DIRSYNC }, { "remount", 0, MS_REMOUNT },
	{ "mand", 0, MS_MANDLOCK },   { "nomand", 1, MS_MANDLOCK },   { "atime", 1, MS_NOATIME },
	{ "noatime", 0, MS_NOATIME }, { "diratime", 1, MS_NODIRATIME }, { "nodiratime", 0, MS_NODIRATIME },
	{ "relatime", 0, MS_RELATIME }, { "norelatime", 1, MS_RELATIME }, { "strictatime", 0, MS_STRICTATIME },
	{ "nostrictatime", 1, MS_STRICTATIME },
};
static const struct { const char *name; unsigned long flag; } prop_flags[] = {
	{ "private", MS_PRIVATE },   { "rprivate", MS_PRIVATE | MS_REC },   { "shared", MS_SHARED },
	{ "rshared", MS_SHARED | MS_REC }, { "slave", MS_SLAVE }, { "rslave", MS_SLAVE | MS_REC },
	{ "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

static int parse_mount(berth__plan *p, berth__mount *m, const berth__cfg_mount *j, size_t idx)
{
	const char *dest = j->destination, *type = j->type, *src = j->source;
	while (*dest == '/')
		dest++;
	if (!(m->target = pstrdup(p, dest)))
		return BERTH_ENOMEM;
	char data[4096] = "";
	size_t dl = 0;
	int bind = type && !strcmp(type, "bind");
	for (size_t i = 0; i < j->n_options; i++) {
		const char *s = j->options[i];
		if (!strcmp(s, "bind")) {
			if (!bind)
				bind = 1;
			continue;
		}
		if (!strcmp(s, "rbind")) {
			bind = 2;
			continue;
		}
		int known = 0;
		for (size_t k = 0; k < BERTH_ARRAY_SIZE(mount_flags); k++)
			if (!strcmp(s, mount_flags[k].name)) {
				if (mount_flags[k].clear)
					m->flags &= ~mount_flags[k].flag;
				else
					m->flags |= mount_flags[k].flag;
				known = 1;
			}
		for (size_t k = 0; k < BERTH_ARRAY_SIZE(prop_flags); k++)
			if (!strcmp(s, prop_flags[k].name)) {
				m->propagation = prop_flags[k].flag;
				known = 1;
			}
		if (!known) {
			size_t sl = strlen(s);
			if (dl + sl + 2 >= sizeof data)
				return berth__err(BERTH_EINVAL, "mounts[%zu].options: too long", idx);
			if (dl)
				data[dl++] = ',';
			memcpy(data + dl, s, sl + 1);
			dl += sl;
		}
	}
	if (bind) {
		if (!src || src[0] != '/')
			return berth__err(BERTH_EINVAL, "mounts[%zu].source: a bind mount needs an absolute host path", idx);
		struct stat st;
		if (stat(src, &st) < 0)
			return berth__err_sys(errno, "mount %s: source %s", m->target, src);
		m->bind = bind;
		m->file = !S_ISDIR(st.st_mode);
		m->remount_flags = (int)(m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
		if (!(m->source = pstrdup(p, src)))
			return BERTH_ENOMEM;
		return 0;
	}
	if (!type)
		return berth__err(BERTH_EINVAL, "mounts[%zu].type: required for a non-bind mount", idx);
	if (!(m->fstype = pstrdup(p, type)) || !(m->source = pstrdup(p, src ? src : type)))
		return BERTH_ENOMEM;
	if (dl && !(m->data = pstrdup(p, data)))
		return BERTH_ENOMEM;
	return 0;
}

/* A "cgroup" mount becomes cgroup2 on a v2 host, and on v1/hybrid hosts a
 * read-only tmpfs with the host's v1 hierarchies (and unified) below it. */
static int add_cgroup_mounts(berth__plan *p, berth__mount *base, size_t *n, size_t cap)
{
	struct statfs sf;
	if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) {
		base->fstype = "cgroup2";
		base->source = "cgroup2";
		base->data = NULL;
		(*n)++;
		return 0;
	}
	unsigned long ro = base->flags & MS_RDONLY;
	berth__mount tm = *base;
	tm.fstype = "tmpfs";
	tm.source = "tmpfs";
	tm.data = "mode=755";
	tm.flags = base->flags & ~MS_RDONLY; /* made read-only below, after the hierarchies */
	p->mounts[(*n)++] = tm;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return 0;
	char line[4096];
	while (fgets(line, sizeof line, f) && *n + 2 < cap) {
		char mp[1024], fstype[64], super[1024];
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		char *dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %*s %1023s", mp) != 1 ||
		    sscanf(dash + 3, "%63s %*s %1023s", fstype, super) != 2)
			continue;
		if (strncmp(mp, "/sys/fs/cgroup/", 15) != 0)
			continue;
		berth__mount m = { 0 };
		m.flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | ro;
		m.is_cgroup_v1 = 1;
		if (!strcmp(fstype, "cgroup2")) {
			m.fstype = "cgroup2";
			m.source = "cgroup2";
		} else if (!strcmp(fstype, "cgroup")) {
			/* keep the controller names (and name=...) of the super options */
			char keep[1024] = "";
			size_t kl = 0;
			for (char *save = NULL, *t = strtok_r(super, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				if (!strcmp(t, "rw") || !strcmp(t, "ro") || !strncmp(t, "release_agent", 13) ||
				    !strcmp(t, "clone_children") || !strcmp(t, "xattr"))
					continue;
				size_t tl = strlen(t);
				if (kl + tl + 2 >= sizeof keep)
					break;
				if (kl)
					keep[kl++] = ',';
				memcpy(keep + kl, t, tl + 1);
				kl += tl;
			}
			m.fstype = "cgroup";
			m.source = "cgroup";
			if (!(m.data = pstrdup(p, keep)))
				return BERTH_ENOMEM;
		} else
			continue;
		if (!(m.target = pstrdup(p, mp + 1)))
			return BERTH_ENOMEM;
		p->mounts[(*n)++] = m;
	}
	fclose(f);
	if (ro && *n < cap) {
		/* then the tmpfs itself read-only, once the hierarchies are in */
		berth__mount rm = { 0 };
		rm.target = tm.target;
		rm.flags = MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
		p->mounts[(*n)++] = rm;
	}
	return 0;
}

static int build_mounts(berth__plan *p, const berth__config *cfg)
{
	size_t cap = cfg->n_mounts + 32;
	p->mounts = pa(p, cap * sizeof *p->mounts);
	if (!p->mounts)
		return BERTH_ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		berth__mount tmp = { 0 };
		int r = parse_mount(p, &tmp, &cfg->mounts[i], i);
		if (r < 0)
			return r;
		if (tmp.fstype && !strcmp(tmp.fstype, "cgroup")) {
			p->mounts[k] = tmp;
			if ((r = add_cgroup_mounts(p, &p->mounts[k], &k, cap)) < 0)
				return r;
			continue;
		}
		if (k < cap)
			p->mounts[k++] = tmp;
	}
	p->n_mounts = k;
	return 0;
}

static const berth__device default_devices[] = {
	{ "dev/null", "/dev/null", S_IFCHR | 0666, 1, 3, 0, 0 },
	{ "dev/zero", "/dev/zero", S_IFCHR | 0666, 1, 5, 0, 0 },
	{ "dev/full", "/dev/full", S_IFCHR | 0666, 1, 7, 0, 0 },
	{ "dev/random", "/dev/random", S_IFCHR | 0666, 1, 8, 0, 0 },
	{ "dev/urandom", "/dev/urandom", S_IFCHR | 0666, 1, 9, 0, 0 },
	{ "dev/tty", "/dev/tty", S_IFCHR | 0666, 5, 0, 0, 0 },
};

static int build_devices(berth__plan *p, const berth__config *cfg, int privileged)
{
	size_t cap = BERTH_ARRAY_SIZE(default_devices) + cfg->n_devices + (privileged ? 512 : 0);
	p->devices = pa(p, cap * sizeof *p->devices);
	if (!p->devices)
		return BERTH_ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(default_devices); i++)
		p->devices[n++] = default_devices[i];
	for (size_t i = 0; i < cfg->n_devices; i++) {
		const berth__cfg_device *d = &cfg->devices[i];
		berth__device dv = { 0 };
		dv.name = d->path + 1;
		dv.host = d->path;
		unsigned int kind = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
		dv.mode = kind | (d->has_mode ? d->mode : 0666);
		dv.major = d->major;
		dv.minor = d->minor;
		dv.uid = d->uid;
		dv.gid = d->gid;
		p->devices[n++] = dv;
	}
	if (privileged) {
		/* --privileged: the host's character and block devices in /dev */
		int dfd = open("/dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *dir = dfd >= 0 ? fdopendir(dfd) : NULL;
		struct dirent *de;
		while (dir && (de = readdir(dir)) && n < cap) {
			struct stat st;
			if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
				continue;
			int dup = 0;
			for (size_t k = 0; k < n; k++)
				if (!strcmp(p->devices[k].name + 4, de->d_name))
					dup = 1;
			if (dup || !strcmp(de->d_name, "console") || !strcmp(de->d_name, "ptmx"))
				continue;
			berth__device dv = { 0 };
			char name[300];
			snprintf(name, sizeof name, "dev/%s", de->d_name);
			dv.name = pstrdup(p, name);
			char host[300];
			snprintf(host, sizeof host, "/dev/%s", de->d_name);
			dv.host = pstrdup(p, host);
			if (!dv.name || !dv.host) {
				closedir(dir);
				return BERTH_ENOMEM;
			}
			dv.mode = st.st_mode & (S_IFMT | 07777);
			dv.major = major(st.st_rdev);
			dv.minor = minor(st.st_rdev);
			dv.uid = st.st_uid;
			dv.gid = st.st_gid;
			p->devices[n++] = dv;
		}
		if (dir)
			closedir(dir);
		else if (dfd >= 0)
			close(dfd);
	}
	p->n_devices = n;
	return 0;
}

int berth__plan_process(berth__plan *p, const berth__cfg_process *proc)
{
	/* the child gets char ** as execve wants them; nothing writes through them */
	p->argv = (char **)proc->args;
	p->envp = (char **)proc->env;
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (size_t i = 0; i < proc->n_env; i++)
		if (!strncmp(proc->env[i], "PATH=", 5))
			path = proc->env[i] + 5;
	/* $PATH split for the search in the child */
	size_t nd = 1;
	for (const char *c = path; *c; c++)
		nd += *c == ':';
	if (!(p->path_dirs = pa(p, (nd + 1) * sizeof(char *))))
		return BERTH_ENOMEM;
	char *pcopy = pstrdup(p, path);
	if (!pcopy)
		return BERTH_ENOMEM;
	size_t k = 0;
	for (char *save = NULL, *t = strtok_r(pcopy, ":", &save); t; t = strtok_r(NULL, ":", &save))
		p->path_dirs[k++] = t;
	p->cwd = proc->cwd;
	p->uid = proc->uid;
	p->gid = proc->gid;
	p->umask = proc->umask;
	p->n_gids = proc->n_gids;
	if (!(p->gids = pa(p, (p->n_gids + 1) * sizeof(gid_t))))
		return BERTH_ENOMEM;
	for (size_t i = 0; i < p->n_gids; i++)
		p->gids[i] = (gid_t)proc->gids[i];
	p->set_groups = 1;
	p->caps = proc->caps;
	p->last_cap = berth__cap_last();
	/* A container cannot hold a capability its creator lacks (on some hosts
	 * CAP_SYS_RESOURCE is not even in the bounding set): "all capabilities"
	 * (--privileged, --cap-add ALL) means all the caller has. */
	int r = berth__caps_bound_by_caller(&p->caps, p->last_cap);
	if (r < 0)
		return r;
	p->no_new_privs = proc->no_new_privileges;
	if (proc->has_oom_score_adj) {
		p->has_oom_score_adj = 1;
		snprintf(p->oom_score_adj, sizeof p->oom_score_adj, "%d", proc->oom_score_adj);
	}
	p->n_rlimits = proc->n_rlimits;
	if (!(p->rlimits = pa(p, (p->n_rlimits + 1) * sizeof *p->rlimits)))
		return BERTH_ENOMEM;
	for (size_t i = 0; i < proc->n_rlimits; i++) {
		const berth__cfg_rlimit *rl = &proc->rlimits[i];
		p->rlimits[i].resource = rl->resource;
		p->rlimits[i].name = rl->type;
		/* a value beyond rlim_t's range means unlimited */
		p->rlimits[i].lim.rlim_cur = rl->soft >= (uint64_t)RLIM_INFINITY ? RLIM_INFINITY : (rlim_t)rl->soft;
		p->rlimits[i].lim.rlim_max = rl->hard >= (uint64_t)RLIM_INFINITY ? RLIM_INFINITY : (rlim_t)rl->hard;
	}
	return 0;
}

/* The namespaces: new ones as clone flags, joined ones opened here. */
static int plan_namespaces(berth__plan *p, const berth__config *cfg)
{
	for (size_t i = 0; i < cfg->n_namespaces; i++) {
		int type = cfg->namespaces[i].type;
		const char *path = cfg->namespaces[i].path;
		if (path) {
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return berth__err_sys(errno, "linux.namespaces[%zu]: join %s namespace %s", i,
				                      berth_ns_type_name(type), path);
			if (type == BERTH_NS_PID)
				p->join_pid_fd = fd;
			else
				p->ns_join_fds[type] = fd;
			if (type == BERTH_NS_MOUNT)
				p->mountns = 0;
		} else {
			p->clone_flags |= berth_ns_clone_flag(type);
			if (type == BERTH_NS_USER)
				p->userns = 1;
			if (type == BERTH_NS_NET)
				p->netns_new = 1;
			if (type == BERTH_NS_MOUNT)
				p->mountns = 1;
		}
	}
	if (!p->mountns)
		return berth__err(BERTH_EINVAL, "linux.namespaces: berth needs a new mount namespace for the root filesystem");
	const char *hn = cfg->hostname;
	if (hn && *hn) {
		if (!(p->clone_flags & CLONE_NEWUTS) && p->ns_join_fds[BERTH_NS_UTS] < 0)
			return berth__err(BERTH_EINVAL, "hostname: needs a uts namespace");
		/* a joined uts namespace keeps its owner's hostname (as docker --uts=container:X) */
		if (p->clone_flags & CLONE_NEWUTS)
			p->hostname = hn;
	}
	return 0;
}

static int plan_sysctls(berth__plan *p, const berth__config *cfg)
{
	p->n_sysctls = cfg->n_sysctls;
	if (!(p->sysctls = pa(p, (p->n_sysctls + 1) * sizeof *p->sysctls)))
		return BERTH_ENOMEM;
	for (size_t k = 0; k < cfg->n_sysctls; k++) {
		char pathb[512];
		snprintf(pathb, sizeof pathb, "/proc/sys/%s", cfg->sysctls[k].key);
		for (char *c = pathb + 10; *c; c++)
			if (*c == '.')
				*c = '/';
		if (!(p->sysctls[k].path = pstrdup(p, pathb)))
			return BERTH_ENOMEM;
		p->sysctls[k].value = cfg->sysctls[k].value;
	}
	return 0;
}

int berth__plan_from_config(berth__plan *p, const berth__config *cfg, const char *rootfs_abs)
{
	int r;
	if ((r = berth__plan_process(p, &cfg->process)) < 0 || (r = plan_namespaces(p, cfg)) < 0)
		return r;
	p->rootfs_readonly = cfg->root_readonly;
	if (!(p->rootfs = pstrdup(p, rootfs_abs)))
		return BERTH_ENOMEM;
	if ((r = build_mounts(p, cfg)) < 0)
		return r;
	const char *priv = json_string_value(json_object_get(cfg->annotations, "io.berth.privileged"));
	if ((r = build_devices(p, cfg, priv && !strcmp(priv, "true"))) < 0)
		return r;
	p->devices_bind = p->userns;
	p->masked = cfg->masked_paths;
	p->n_masked = cfg->n_masked_paths;
	p->readonly = cfg->readonly_paths;
	p->n_readonly = cfg->n_readonly_paths;
	if ((r = plan_sysctls(p, cfg)) < 0)
		return r;
	return berth__plan_seccomp(p, cfg->seccomp);
}

int berth__plan_seccomp(berth__plan *p, const json_t *sec)
{
	if (!sec || json_is_null(sec))
		return 0;
	static const struct { const char *name; unsigned int flag; } flags[] = {
		{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
		{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
		{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
		{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1u << 5 },
	};
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(sec, "flags"), i, f) {
		const char *n = json_string_value(f);
		for (size_t k = 0; n && k < BERTH_ARRAY_SIZE(flags); k++)
			if (!strcmp(n, flags[k].name))
				p->seccomp_flags |= flags[k].flag;
	}
	return berth__seccomp_compile_cached(&p->seccomp, sec, p->seccomp_cache);
}
